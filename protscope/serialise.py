"""Writing results out safely: JSON without NaN, CSV cells that spreadsheets will not execute,
and a run's files under runs/<id>/."""
from __future__ import annotations

import csv
import io
import math


def clean_json(value):
    """NaN and infinity are not JSON: they become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    if hasattr(value, "item"):
        return clean_json(value.item())
    return value


def escape_formulas(row: dict) -> dict:
    """Cells a spreadsheet would run as formulas get a leading quote (CSV injection)."""
    return {k: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for k, v in row.items()}


def csv_text(rows: list[dict]) -> str:
    """Rows as CSV text (columns: every key, in first-seen order), with formula-like cells neutralised."""
    if not rows:
        return ""
    names = list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, restval="")
    writer.writeheader()
    writer.writerows(escape_formulas(r) for r in rows)
    return out.getvalue()

