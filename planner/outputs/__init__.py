"""Exports of a plan: JSON (epiplan.plan/1), the Excel workbook, a zip of CSVs.

- ``contract``: the JSON document's tables (from the registered stages), plain JSON values, tables back from JSON;
- ``plan_json``: the ``epiplan.plan/1`` document and its bytes;
- ``schema``: its JSON Schema, built from the code, and validation;
- ``tables``: every table of the plan, for the workbook and the CSVs;
- ``workbook``: the ``.xlsx``; ``csv_zip``: the ``.zip`` of CSVs and reading it back;
- ``files``: atomic writes, ``write_plan`` by suffix.
"""
