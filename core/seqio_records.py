"""Sequence records from Biopython's parsers (SeqIO, AlignIO) as a RawTable, with each record's line.

GenBank and EMBL records that hold a nucleotide sequence give their proteins through the CDS
features' /translation qualifiers; a nucleotide record with no translated CDS is refused (the
nucleotides themselves are never taken as protein). Alignment rows lose their gaps (see
`fasta.remove_gaps`). A parser's own complaint becomes a ProtScopeError naming the format.
"""
from __future__ import annotations

import io
import re
import warnings

from Bio import AlignIO, BiopythonWarning, SeqIO

from core.errors import ProtScopeError
from core.fasta import remove_gaps
from core.raw_table import RawTable

PROTEIN_MOLECULES = ("protein", "PROTEIN", "aa")
MAX_EOF_READS = 1000


class _EndGuard(io.StringIO):
    """A text handle that fails once it has been read past its end many times: some Biopython parsers
    (Clustal's, on a file that is only a header line) loop forever waiting for a line at the end."""

    def __init__(self, text: str):
        super().__init__(text)
        self._reads_at_end = 0

    def readline(self, size: int = -1) -> str:
        line = super().readline(size)
        if not line:
            self._reads_at_end += 1
            if self._reads_at_end > MAX_EOF_READS:
                raise ValueError("the file ends in the middle of a record")
        return line


def _parse(parse, text: str, fmt: str, title: str, name: str) -> list:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BiopythonWarning)
            return list(parse(_EndGuard(text), fmt))
    except (ValueError, AssertionError, KeyError, IndexError, TypeError, AttributeError, ImportError) as exc:
        message = str(exc).strip().split("\n")[0][:200] or type(exc).__name__
        raise ProtScopeError(f"the file looks like {title} but Biopython cannot read it as {title} ({message})",
                             where=name, fix=f"check that the file is complete, valid {title}, or convert it to "
                                             "FASTA") from None


def _start_lines(text: str, pattern: str) -> list[int]:
    """The 1-based line of each match of `pattern` (anchored at line starts)."""
    return [text.count("\n", 0, m.start()) + 1 for m in re.finditer(pattern, text, flags=re.MULTILINE)]


def _table(name: str, title: str, ids, seqs, descriptions, lines, notes=()) -> RawTable:
    if not ids:
        raise ProtScopeError(f"the {title} file holds no sequence records", where=name,
                             fix="check that this is the file you meant to upload")
    lines = (list(lines) + [lines[-1] if lines else 1] * len(ids))[: len(ids)]
    values = {"id": list(ids), "sequence": [s.upper() for s in seqs], "description": list(descriptions)}
    return RawTable(name, "records", list(values), values, lines, list(notes), format=title)


def read_seqio(text: str, name: str, fmt: str, title: str, start: str) -> RawTable:
    records = _parse(SeqIO.parse, text, fmt, title, name)
    seqs = [_sequence(r, title, name) for r in records]
    table = _table(name, title, [r.id for r in records], seqs, [r.description for r in records],
                   _start_lines(text, start))
    if fmt in ("swiss", "uniprot-xml"):
        table.values["entry_name"] = [r.name for r in records]
        table.columns.insert(1, "entry_name")
    return table


def _sequence(record, title: str, name: str) -> str:
    try:
        return str(record.seq)
    except Exception:  # Bio.Seq.UndefinedSequenceError: the record has a length but no residues
        raise ProtScopeError(f"record '{record.id}' in this {title} file has no sequence, only its length",
                             where=name, fix="download the full record (with its sequence), or a FASTA "
                                             "of the proteins") from None


def read_alignment(text: str, name: str, fmt: str, title: str) -> RawTable:
    alignments = _parse(AlignIO.parse, text, fmt, title, name)
    rows = [row for alignment in alignments for row in alignment]
    first_line = {}
    for line_number, line in enumerate(text.split("\n"), start=1):
        first_line.setdefault(line.split(" ", 1)[0].strip(), line_number)
    ids = [r.id for r in rows]
    table = _table(name, title, ids, [_sequence(r, title, name) for r in rows], [r.description for r in rows],
                   [first_line.get(i, 1) for i in ids])
    remove_gaps(table)
    return table


def read_genbank(text: str, name: str, fmt: str = "genbank") -> RawTable:
    title = "GenBank/GenPept" if fmt == "genbank" else "EMBL"
    records = _parse(SeqIO.parse, text, fmt, title, name)
    start = r"^LOCUS " if fmt == "genbank" else r"^ID   "
    if not records or all(r.annotations.get("molecule_type", "") in PROTEIN_MOLECULES for r in records):
        return _table(name, "GenPept" if fmt == "genbank" and records else title, [r.id for r in records],
                      [_sequence(r, title, name) for r in records], [r.description for r in records],
                      _start_lines(text, start))
    ids, seqs, descriptions = [], [], []
    for record in records:
        cds = [f for f in record.features if f.type == "CDS" and f.qualifiers.get("translation")]
        for k, feature in enumerate(cds, start=1):
            q = feature.qualifiers
            ids.append(next((q[key][0] for key in ("protein_id", "locus_tag", "gene") if q.get(key)),
                            f"{record.id}_cds{k}"))
            seqs.append(q["translation"][0].replace(" ", ""))
            descriptions.append(q.get("product", q.get("note", [""]))[0])
    if not ids:
        kinds = sorted({r.annotations.get("molecule_type", "nucleotide") for r in records})
        raise ProtScopeError(f"this {title} file holds {len(records):,} {'/'.join(kinds)} record(s) and no protein: "
                             "none of its CDS features carries a /translation", where=name,
                             fix="download the records as GenPept or FASTA protein ('fasta_cds_aa'), or translate "
                                 "the coding sequences first")
    notes = [f"{name}: the {len(records):,} {title} records hold nucleotides; their {len(ids):,} CDS features' "
             "/translation proteins were read instead"]
    return _table(name, title, ids, seqs, descriptions, _start_lines(text, r"^\s+/translation="), notes)
