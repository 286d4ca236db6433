"""Streamlit view pieces (imported only by app.py)."""
