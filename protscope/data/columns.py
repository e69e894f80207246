"""Decide which column of a RawTable is the sequence, the label, the split and so on.

Columns are found by name first (case and punctuation ignored), then by content. Any choice can
be overridden; an override that names a missing column fails with the list of columns there are.
`standardise` then pulls the chosen columns out as a Records bundle with each row's origin.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from protscope.data.composition import column_evidence
from protscope.data.fasta import accession_of
from protscope.data.raw_table import RawTable
from protscope.errors import ProtScopeError, list_some

ROLES = ("id", "sequence", "label", "residue_label", "mask", "split")

# Names that identify each role, best first (compared after lower-casing and dropping punctuation).
NAMES = {
    "sequence": ["sequence", "seq", "sequences", "aasequence", "aaseq", "proteinsequence",
                 "primary", "input", "protein", "peptide"],
    "residue_label": ["ss3", "dssp3", "q3", "ss8", "dssp8", "q8", "ss", "secondarystructure",
                      "residuelabels", "residuelabel", "perresiduelabels", "structure"],
    "mask": ["evalmask", "resolved", "mask", "residuemask", "validmask"],
    "split": ["split", "set", "fold", "partition", "subset"],
    "label": ["label", "labels", "y", "target", "class", "solubility", "fitness", "value",
              "activity", "score", "tm", "expression", "category", "output"],
    "id": ["id", "name", "identifier", "accession", "uniprot", "proteinid", "entry", "gene",
           "header"],
}
# Names that decide a role on their own; vaguer ones ('set', 'mask', ...) must also fit the content.
EXACT = {"split", "evalmask", "resolved", "ss3", "ss8", "dssp3", "dssp8", "sequence", "label", "id"}
SPLIT_VALUES = {
    "train": "train", "training": "train", "tr": "train", "trn": "train",
    "val": "val", "valid": "val", "train_valid": "val", "validation": "val", "dev": "val", "development": "val",
    "test": "test", "testing": "test", "holdout": "test", "te": "test", "tst": "test",
    "exclude": "exclude",
}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class ColumnMap:
    """The column chosen for each role; "" when the file has none."""

    sequence: str
    id: str = ""
    label: str = ""
    residue_label: str = ""
    mask: str = ""
    split: str = ""
    labels: tuple[str, ...] = ()  # the 0/1 columns of a multi-label task (then `label` is "")

    def describe(self) -> str:
        chosen = [f"{role}='{getattr(self, role)}'" for role in ROLES if getattr(self, role)]
        return ", ".join(chosen + ([f"labels='{','.join(self.labels)}'"] if self.labels else []))


@dataclass
class Records:
    """The chosen columns of one or more files, row-aligned, as stripped text."""

    ids: list[str]
    sequences: list[str]
    labels: list[str] | None
    residue_labels: list[str] | None
    masks: list[str] | None
    splits: list[str] | None
    sources: list[str]
    lines: np.ndarray  # (N,) physical line where each record starts
    rows: np.ndarray  # (N,) 1-based data row within its file
    columns: ColumnMap
    label_columns: dict[str, list[str]] | None = None  # multi-label: each 0/1 column's text, by name


def detect_columns(table: RawTable, overrides: dict[str, str] | None = None,
                   label_columns: tuple[str, ...] = ()) -> ColumnMap:
    """Choose a column for each role: overrides first, then by name, then by content. `label_columns`
    (multi-label 0/1 columns) take the place of the one label column."""
    overrides = {k: v for k, v in (overrides or {}).items() if v}
    for role, col in [*overrides.items(), *(("label", col) for col in label_columns)]:
        if col not in table.values:
            raise ProtScopeError(f"there is no column '{col}' (asked for as the {role} column)",
                                 where=table.source,
                                 fix=f"choose one of: {', '.join(table.columns)}")
    chosen = dict(overrides)
    # Names first for every role, so a column called 'label' is never taken as a mask by content.
    for finder in (_by_name, _by_content):
        for role in ("sequence", "residue_label", "mask", "split", "label", "id"):
            if role not in chosen and not (role == "label" and label_columns):
                col = finder(table, role, set(chosen.values()) | set(label_columns), chosen)
                if col:
                    chosen[role] = col
    if "sequence" not in chosen:
        raise _no_sequence_column(table)
    if "sequence" not in overrides and table.kind == "table" and table.named_header:
        _check_not_swapped(table, chosen["sequence"])
    _check_not_words(table, chosen["sequence"], named="sequence" in overrides or _key(chosen["sequence"]) in EXACT)
    if "mask" in chosen and "residue_label" not in chosen:
        del chosen["mask"]
    return ColumnMap(**chosen, labels=tuple(label_columns))


def _no_sequence_column(table: RawTable) -> ProtScopeError:
    """Say what each column looked like, so the user sees why none was taken as proteins."""
    seen = []
    for col in table.columns[:12]:
        evidence = column_evidence(table.values[col])
        seen.append(f"'{col}' ({evidence.reason or evidence.kind})")
    more = f" and {len(table.columns) - 12} more" if len(table.columns) > 12 else ""
    return ProtScopeError("no column looks like protein sequences; the columns seen were " + "; ".join(seen) + more,
                          where=table.source, fix="upload a file with a column of protein sequences (one-letter "
                                                  "amino-acid codes), or choose the sequence column yourself")


def _check_not_words(table: RawTable, seq_col: str, named: bool) -> None:
    """A column of words is never read as proteins, whatever its name: upper-casing 'Iris-setosa'
    would give letters, but not a protein. Few distinct values are taken as categories only in a
    column the user did not name 'sequence' (a dataset may repeat its proteins)."""
    evidence = column_evidence(table.values[seq_col])
    refused = ("words",) if named else ("words", "labels")
    if evidence.kind in refused and table.kind == "table":
        raise ProtScopeError(f"column '{seq_col}' does not hold protein sequences: {evidence.reason}",
                             where=table.source, fix="choose the column of protein sequences (one-letter amino-acid "
                                                     f"codes); the columns are: {', '.join(table.columns)}")


def _check_not_swapped(table: RawTable, seq_col: str) -> None:
    """A column named 'sequence' full of numbers or codes, beside one full of proteins: the headers
    were swapped (or shifted), which would otherwise be reported as a bad residue in every row."""
    values = table.values[seq_col][:500]
    letters = np.mean([_letters_only(v) for v in values]) if values else 1.0
    if letters >= 0.5:
        return
    proteins = [c for c in table.columns if c != seq_col and column_evidence(table.values[c]).kind == "protein"]
    if proteins:
        raise ProtScopeError(f"column '{seq_col}' does not hold protein sequences (its first value is "
                             f"{values[0]!r}), but column '{proteins[0]}' does: the columns look swapped",
                             where=table.source, fix=f"swap those two headers, or choose the columns yourself "
                                                     f"(sequence_col {proteins[0]}, label_col {seq_col})")


def _by_name(table: RawTable, role: str, taken: set[str], chosen: dict[str, str]) -> str:  # noqa: ARG001 (same signature as _by_content)
    keyed = {_key(c): c for c in table.columns if c not in taken}
    for name in NAMES[role]:
        # Columns named exactly 'split', 'resolved', 'eval_mask'... are taken even with odd values,
        # so that the values get reported instead of silently ignored. Vaguer names must fit.
        if name in keyed and (name in EXACT or _content_fits(table, role, keyed[name])):
            return keyed[name]
    if role == "split":
        return next((c for c in table.columns if c not in taken and _key(c).startswith("split")
                     and _content_fits(table, role, c)), "")
    return ""


def _content_fits(table: RawTable, role: str, col: str) -> bool:
    values = table.values[col]
    if role == "split":
        return all(v.lower() in SPLIT_VALUES for v in set(values) if v)
    if role == "mask":
        return all(set(v) <= {"0", "1"} for v in values[:200])
    if role == "sequence":
        return column_evidence(values).is_sequence
    return True


def _by_content(table: RawTable, role: str, taken: set[str], chosen: dict[str, str]) -> str:
    free = [c for c in table.columns if c not in taken and c != "description"]
    if role == "sequence":
        evidence = {c: column_evidence(table.values[c]) for c in free}
        proteins = [c for c in free if evidence[c].kind == "protein"]
        if proteins:
            return max(proteins, key=lambda c: evidence[c].protein_vs_english)
        return next((c for c in free if evidence[c].kind == "nucleotide"), "")
    if role == "id" and not table.named_header and table.kind == "table":
        return next((c for c in free if len(set(table.values[c])) == len(table) and not _numeric(table.values[c])), "")
    if role in ("residue_label", "mask") and "sequence" in chosen:
        return _per_residue_column(table, free, chosen["sequence"], want_mask=role == "mask")
    if role == "label" and "residue_label" not in chosen:
        candidates = [c for c in free if _key(c) not in NAMES["id"]]
        numeric = [c for c in candidates if _numeric(table.values[c])]
        if numeric:
            return numeric[0]
        for c in candidates:
            if 2 <= len(set(table.values[c])) <= min(50, len(table) // 2):
                return c
    return ""


def _per_residue_column(table: RawTable, free: list[str], sequence_col: str, want_mask: bool) -> str:
    """A column of strings as long as the sequences, over a small alphabet (or 0/1 for a mask).

    Short peptides are left alone: there, ids or numbers are often as long as the sequences.
    """
    seq_lengths = np.array([len(s) for s in table.values[sequence_col][:500]])
    if seq_lengths.size == 0 or seq_lengths.mean() < 20:
        return ""
    for c in free:
        vals = table.values[c][:500]
        same = np.mean([len(v) == n for v, n in zip(vals, seq_lengths)])
        letters = set("".join(vals))
        is_mask = letters <= {"0", "1"}
        if same >= 0.9 and is_mask == want_mask and (is_mask or (len(letters) <= 20 and not _numeric(vals))):
            return c
    return ""


def _letters_only(value: str) -> bool:
    """Could this be a sequence: letters, gaps, stops and spaces only?"""
    return re.fullmatch(r"[A-Za-z*\-. ]+", value) is not None


def _numeric(values: list[str]) -> bool:
    try:
        np.asarray(values[:500], dtype=np.float64)
        return True
    except ValueError:
        return False


def standardise(table: RawTable, columns: ColumnMap, forced_split: str = "") -> Records:
    """Pull the chosen columns out of one table. `forced_split` puts every row in that split."""
    n = len(table)
    get = lambda role: table.values[getattr(columns, role)] if getattr(columns, role) else None  # noqa: E731
    ids = get("id") or [f"row{i + 1}" for i in range(n)]
    splits = [forced_split] * n if forced_split else get("split")
    return Records(ids=list(ids), sequences=list(get("sequence")), labels=get("label"),
                   residue_labels=get("residue_label"), masks=get("mask"), splits=splits,
                   sources=[table.source] * n, lines=np.asarray(table.lines, dtype=np.int64),
                   rows=np.arange(1, n + 1), columns=columns,
                   label_columns={c: table.values[c] for c in columns.labels} if columns.labels else None)


def concat(parts: list[Records]) -> Records:
    """Stack the records of several files (a dataset with a separate test file, say)."""
    if len(parts) == 1:
        return parts[0]

    def join(attr):
        lists = [getattr(p, attr) for p in parts]
        if any(v is None for v in lists):
            if attr in ("labels", "residue_labels") and any(v is not None for v in lists):
                missing = next(p.sources[0] for p in parts if getattr(p, attr) is None)
                raise ProtScopeError(f"this file has no {attr.replace('_', ' ')[:-1]} column",
                                     where=missing, fix="give every file the same columns")
            return None
        return [x for v in lists for x in v]

    label_columns = None  # every file was read with the same label_cols, so each has these columns
    if parts[0].label_columns is not None:
        label_columns = {c: [x for p in parts for x in p.label_columns[c]] for c in parts[0].label_columns}
    return Records(ids=join("ids"), sequences=join("sequences"), labels=join("labels"),
                   residue_labels=join("residue_labels"), masks=join("masks"), splits=join("splits"),
                   sources=join("sources"), lines=np.concatenate([p.lines for p in parts]),
                   rows=np.concatenate([p.rows for p in parts]), columns=parts[0].columns,
                   label_columns=label_columns)


def join_labels(fasta: RawTable, labels: RawTable, id_col: str = "") -> RawTable:
    """Add the columns of a label CSV to a table of sequence records, matching their ids.

    The label file always wins: labels a FASTA header might carry are not used. Each record is matched
    on its id as written first, then on its accession (sp|P12345|NAME -> P12345), then on the part
    before the first '|', then on the accession inside the label file's id.
    """
    id_col = id_col or _by_name(labels, "id", set(), {}) or labels.columns[0]
    if id_col not in labels.values:
        raise ProtScopeError(f"the label file has no column '{id_col}'", where=labels.source,
                             fix=f"choose one of: {', '.join(labels.columns)}")
    index: dict[str, int] = {}
    for i, key in enumerate(labels.values[id_col]):
        if key in index:
            raise ProtScopeError(f"id '{key}' appears twice", where=f"{labels.source}, line "
                                 f"{labels.lines[i]}, column '{id_col}'",
                                 fix="give each id one row in the label file")
        index[key] = i
    accessions = fasta.values.get("accession") or [""] * len(fasta)
    by_accession = {}  # the label file may write 'gi|7525080|ref|NP_051037.1|' where a record says NP_051037.1
    for key, i in index.items():
        by_accession.setdefault(accession_of(key), i)
    found = []
    for fid, accession in zip(fasta.values["id"], accessions):
        keys = (fid, accession, fid.split("|", 1)[0])
        found.append(next((index[k] for k in keys if k and k in index),
                          next((by_accession[k] for k in (fid, accession) if k and k in by_accession), None)))
    missing = [fid for fid, i in zip(fasta.values["id"], found) if i is None]
    if missing:
        raise ProtScopeError(f"{len(missing):,} of {len(found):,} sequence records have no row in the label file "
                             f"({list_some(missing)}); its ids look like {list_some(list(index)[:3], 3)}",
                             where=f"{labels.source}, column '{id_col}'",
                             fix="add a label row for each record id, written as after the '>' up to the first "
                                 "space (or its accession), or remove those records")
    values = {k: v for k, v in fasta.values.items() if k != "description"}
    for col in labels.columns:
        if col != id_col:
            name = col if col not in values else f"{col}_labels"
            values[name] = [labels.values[col][i] for i in found]
    values["description"] = fasta.values["description"]
    notes = list(fasta.notes) + list(labels.notes)
    if fasta.header_labels:
        notes.append(f"{fasta.source}: the headers also look like they carry labels "
                     f"({', '.join(fasta.header_labels)}); the label file's are used instead")
    unused = len(index) - len(set(found))
    if unused:
        notes.append(f"{labels.source}: {unused:,} label rows match no sequence record and were ignored")
    return RawTable(fasta.source, fasta.kind, list(values), values, fasta.lines, notes, format=fasta.format)
