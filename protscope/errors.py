"""The one error type ProtScope raises for bad input, and helpers to say where it is.

Every rejection says what is wrong, where (file, line, row, column, id) and how to fix it.
The command line prints it as `error: ...`; the dashboard shows it in `st.error`.
"""
from __future__ import annotations

from dataclasses import dataclass


class ProtScopeError(ValueError):
    """Bad input or an impossible request, with a message meant for the user."""

    def __init__(self, problem: str, *, where: str = "", fix: str = ""):
        self.problem = problem
        self.where = where
        self.fix = fix
        text = f"{where}: {problem}" if where else problem
        if fix:
            text = f"{text.rstrip('.')}. Fix: {fix}"
        super().__init__(text)


@dataclass(frozen=True)
class Origin:
    """Where one record came from: the file, its physical line and its 1-based data row."""

    source: str
    line: int
    row: int

    def describe(self, column: str = "", record_id: str = "") -> str:
        parts = [self.source, f"line {self.line}", f"row {self.row}"]
        if column:
            parts.append(f"column '{column}'")
        if record_id:
            parts.append(f"id '{record_id}'")
        return ", ".join(parts)


def list_some(items, limit: int = 5) -> str:
    """'a, b, c and 4 more': a short, readable list for messages."""
    items = [str(i) for i in items]
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit:,} more"
