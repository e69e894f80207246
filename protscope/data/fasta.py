"""Read FASTA text (plain, aligned or A3M) into a RawTable of records, ids kept whole as written.

- Text before the first '>' (Pearson's FASTA tools allow a title there) and comment lines inside
  records (';', and BLAST's '#' and '!') are skipped, each with a note saying where; they never
  become residues.
- Gaps ('-', '.', and '_' in rows of equal length) of aligned FASTA and A3M are removed with a note:
  a row is a protein, not an alignment row. A3M's lowercase insert states are residues and are kept.
- Header forms: UniProt `db|ACC|NAME` and NCBI `gi|123|ref|ACC|` give an accession column for matching
  a label file. `>id|label` and `>id label=1` only suggest labels (RawTable.header_labels); they are
  used when no label file is given and the values look like labels, never over a label file.
- RCSB's pdb_seqres.txt marks chains `mol:na`; those nucleic-acid records are dropped with a note.
"""
from __future__ import annotations

import re

import numpy as np

from protscope.data.raw_table import RawTable
from protscope.errors import ProtScopeError, list_some

# Header keys in `>id key=value` that may carry labels; others (UniProt's OS=, OX=...) are ignored.
LABEL_KEYS = {"label", "labels", "class", "y", "target", "value", "split", "set", "fold",
              "solubility", "fitness", "activity", "score"}  # labels=membrane;enzyme: a multi-label list
# NCBI's FASTA identifier prefixes (the BLAST docs' list) and UniProt's sp/tr.
DATABASES = {"sp", "tr", "gi", "gb", "emb", "dbj", "ref", "pdb", "pir", "prf", "pat", "bbs", "gnl", "lcl",
             "tpg", "tpe", "tpd", "tsa", "up", "uniprot", "nxp", "gpp"}
MAX_PREAMBLE = 10
MAX_LABEL_CLASSES = 50
_HEADER = re.compile(r"^>", flags=re.MULTILINE)
_COMMENT = re.compile(r"^[;#!][^\n]*\n?", flags=re.MULTILINE)
COMMENT_MARKS = ";#!"
_LABEL_WORD = re.compile(r"[A-Za-z0-9][\w.+-]*")  # not '_0', AlphaFold-multimer's copy index
_SPACE = re.compile(r"\s+")


def read_fasta(text: str, name: str, format_name: str = "FASTA") -> RawTable:
    starts = [m.start() for m in _HEADER.finditer(text)]
    notes = _preamble(text[: starts[0]], name)
    header_lines = np.cumsum([text.count("\n", a, b) for a, b in zip([0, *starts[:-1]], starts)]) + 1
    ids, seqs, descriptions, comment_lines = [], [], [], []
    for n, (start, end) in enumerate(zip(starts, [*starts[1:], len(text)])):
        header, _, body = text[start + 1:end].partition("\n")
        if any(mark in body for mark in COMMENT_MARKS):
            comment_lines += [int(header_lines[n]) + 1 + body.count("\n", 0, m.start())
                              for m in _COMMENT.finditer(body)]
            body = _COMMENT.sub("", body)
        token, _, description = header.strip().partition(" ")
        if not token:
            raise ProtScopeError("a header line has no id", where=f"{name}, line {header_lines[n]}",
                                 fix="write '>id' or '>id label=1'")
        ids.append(token)
        descriptions.append(description.strip())
        seqs.append(_SPACE.sub("", body))
    if comment_lines:
        notes.append(f"{name}: {len(comment_lines):,} comment lines (starting with ';', '#' or '!') inside records "
                     f"were skipped, not read as residues (lines {list_some(comment_lines)})")
    table = RawTable(name, "records", ["id", "sequence", "description"],
                     {"id": ids, "sequence": seqs, "description": descriptions}, header_lines.tolist(), notes,
                     format=format_name)
    table = drop_nucleic_chains(table)
    aligned = len(seqs) > 1 and len({len(s) for s in seqs}) == 1
    remove_gaps(table, "-._" if aligned else "-.")
    _accessions(table)
    _suggest_header_labels(table)
    return table


def _preamble(text: str, name: str) -> list[str]:
    lines = [(i + 1, ln.strip()) for i, ln in enumerate(text.split("\n")) if ln.strip()]
    written = [(i, ln) for i, ln in lines if not ln.startswith((";", "#"))]
    if len(written) > MAX_PREAMBLE:
        i, _ = written[0]
        raise ProtScopeError(f"{len(written)} lines of text come before the first '>' header",
                             where=f"{name}, line {i}",
                             fix="remove them, or check that this is a FASTA file")
    if not lines:
        return []
    first, text_line = lines[0]
    return [f"{name}: {len(lines)} line(s) before the first '>' header (line {first}: '{text_line[:40]}') were "
            "skipped as a title or comment"]


def remove_gaps(table: RawTable, gaps: str = "-.") -> None:
    """Alignment rows become proteins: gap characters removed, in place, with a note saying how many."""
    seqs = table.values["sequence"]
    gapped = sum(1 for s in seqs if any(g in s for g in gaps))
    if not gapped:
        return
    total = sum(s.count(g) for s in seqs for g in gaps)
    drop = str.maketrans("", "", gaps)
    table.values["sequence"] = [s.translate(drop) for s in seqs]
    a3m = sum(1 for s in seqs if not (s.isupper() or s.islower()))
    shown = ", ".join(f"'{g}'" for g in gaps)
    note = (f"{table.source}: this is an alignment: {total:,} gap characters ({shown}) were removed from "
            f"{gapped:,} of {len(seqs):,} sequences, so each row is the protein itself")
    if a3m:
        note += (f"; {a3m:,} rows mix capitals and small letters (A3M insert states): the small letters are residues "
                 "of the protein too and were kept, upper-cased")
    table.notes.append(note)


def drop_nucleic_chains(table: RawTable) -> RawTable:
    """RCSB pdb_seqres.txt lists every chain; `mol:na` ones are DNA or RNA."""
    descriptions = table.values["description"]
    nucleic = [i for i, d in enumerate(descriptions) if d.startswith("mol:na")]
    if not nucleic:
        return table
    dropped = set(nucleic)
    keep = [i for i in range(len(table)) if i not in dropped]
    values = {k: [v[i] for i in keep] for k, v in table.values.items()}
    notes = [*table.notes, f"{table.source}: {len(nucleic):,} chains marked 'mol:na' (DNA or RNA) were left out; "
                           f"{len(keep):,} protein chains remain"]
    return RawTable(table.source, table.kind, table.columns, values, [table.lines[i] for i in keep], notes,
                    format=table.format)


def accession_of(identifier: str) -> str:
    """The accession inside `sp|P12345|NAME`, `gi|123|ref|NP_1.1|` or `pdb|1ABC|A`; "" otherwise."""
    parts = identifier.split("|")
    if len(parts) < 2 or parts[0].lower() not in DATABASES:
        return ""
    if parts[0].lower() == "gi" and len(parts) >= 4 and parts[3]:
        return parts[3]
    return parts[1]


def _accessions(table: RawTable) -> None:
    found = [accession_of(i) for i in table.values["id"]]
    if any(found):
        table.values["accession"] = found
        table.columns.insert(1, "accession")


def _suggest_header_labels(table: RawTable) -> None:
    ids, n = table.values["id"], len(table)
    suggested: dict[str, list[str]] = {}
    pipe = [i.split("|") for i in ids]
    if all(len(p) == 2 and p[0] and _LABEL_WORD.fullmatch(p[1]) and p[0].lower() not in DATABASES for p in pipe):
        words = [p[1] for p in pipe]
        if looks_like_labels(words):
            suggested["label"] = words
            table.header_label_ids = [p[0] for p in pipe]
    for n_row, description in enumerate(table.values["description"]):
        for key, value in re.findall(r"(\w+)=(\S+)", description):
            if key.lower() in LABEL_KEYS:
                suggested.setdefault(key.lower(), [""] * n)[n_row] = value
    partial = [key for key, values in suggested.items() if not all(values)]
    for key in partial:  # a key only some headers carry (a score on the first of a set) is not a label
        del suggested[key]
    if suggested:
        table.header_labels = suggested
        shown = ", ".join(f"'{k}'" for k in suggested)
        table.header_label_note = (f"{table.source}: labels were read from the FASTA headers ({shown}, e.g. "
                                   f"'>{ids[0][:40]}'); upload a label file to use other labels")


def looks_like_labels(words: list[str]) -> bool:
    """Measured values, or a few classes each shared by several records: not one name per record.

    Whole numbers that differ in every record are more likely record numbers than labels."""
    distinct = len(set(words))
    few = 2 <= distinct <= min(MAX_LABEL_CLASSES, len(words) // 2)
    try:
        numbers = np.asarray(words, dtype=np.float64)
    except ValueError:
        return few
    return few or not np.all(numbers == np.round(numbers))
