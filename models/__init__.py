"""Optimisation models, one module per planning stage.

Models take plain pandas tables and numbers and return a
:class:`models.base.StageResult`; they import neither ``planner`` nor ``streamlit``.
"""
