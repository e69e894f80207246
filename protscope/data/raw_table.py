"""RawTable: the text columns read from one file, before ProtScope decides what each column is."""
from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass
class RawTable:
    """Text columns read from one file, with the physical line each record starts on.

    `kind` is "table" (CSV, TSV) or "records" (FASTA and the other sequence formats); `format` names
    what the file was read as, e.g. "CSV", "FASTA", "GenBank". Sequence records keep their ids whole,
    as written; labels that only a FASTA header suggests (`>id|label`, `>id label=1`) wait in
    `header_labels` and are used only when no label file is given (`with_header_labels`).
    """

    source: str
    kind: str
    columns: list[str]
    values: dict[str, list[str]]
    lines: list[int]
    notes: list[str] = field(default_factory=list)
    format: str = ""
    header_labels: dict[str, list[str]] = field(default_factory=dict)
    header_label_ids: list[str] | None = None  # the ids with the `|label` part cut off, when it is one
    header_label_note: str = ""
    named_header: bool = True  # a table whose first line named its columns (False: column_1, column_2, ...)

    def __len__(self) -> int:
        return len(self.lines)

    def with_header_labels(self) -> RawTable:
        """The table with the labels its FASTA headers carry as columns (no label file was given)."""
        if not self.header_labels:
            return self
        values = dict(self.values)
        if self.header_label_ids is not None:
            values["id"] = self.header_label_ids
        description = values.pop("description", None)
        values.update(self.header_labels)
        if description is not None:
            values["description"] = description
        return replace(self, columns=list(values), values=values, header_labels={}, header_label_ids=None,
                       notes=[*self.notes, self.header_label_note] if self.header_label_note else self.notes)
