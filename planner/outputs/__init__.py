"""Exports of a plan: JSON (epiplan.plan/1), the Excel workbook, a zip of CSVs."""
