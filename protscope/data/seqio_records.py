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

from protscope.data.fasta import remove_gaps
from protscope.data.raw_table import RawTable
from protscope.errors import ProtScopeError

PROTEIN_MOLECULES = ("protein", "PROTEIN", "aa")
MAX_EOF_READS = 1000
BINARY_PARSERS = ("uniprot-xml", "seqxml")  # Biopython's XML parsers want bytes
# Alignment programs write '?' for missing data; it is a gap here, not a residue.
ALIGNMENT_GAPS = "-.?"
_LOCUS = re.compile(r"^LOCUS\s+\S+\s+\d+\s+(aa|bp)\b", flags=re.MULTILINE)


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
            handle = io.BytesIO(text.encode()) if fmt in BINARY_PARSERS else _EndGuard(text)
            return list(parse(handle, fmt))
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
    lines, notes = _start_lines(text, start), []
    if fmt.startswith(("pdb", "cif")):
        records, seqs, lines, notes = _protein_chains(records, seqs, lines, title, name)
    else:
        records, seqs, lines, notes = _declared_proteins(records, seqs, lines, title, name)
    table = _table(name, title, [r.id for r in records], seqs, [r.description for r in records], lines, notes)
    if fmt in ("swiss", "uniprot-xml"):
        table.values["entry_name"] = [r.name for r in records]
        table.columns.insert(1, "entry_name")
    return table


def _declared_proteins(records, seqs, lines, title: str, name: str):
    """Formats that declare each record's molecule (SeqXML's dnaSeq, EMBL's DNA): nucleic ones go."""
    kinds = [r.annotations.get("molecule_type", "") for r in records]
    keep = [i for i, kind in enumerate(kinds) if not kind or kind in PROTEIN_MOLECULES]
    if len(keep) == len(records):
        return records, seqs, lines, []
    nucleic = sorted({k for k in kinds if k and k not in PROTEIN_MOLECULES})
    if not keep:
        raise ProtScopeError(f"this {title} file holds {len(records):,} {'/'.join(nucleic)} record(s) and no protein",
                             where=name, fix="translate the sequences to protein first, or upload the protein file")
    notes = [f"{name}: {len(records) - len(keep):,} {'/'.join(nucleic)} records were left out; "
             f"{len(keep):,} protein records remain"]
    return [records[i] for i in keep], [seqs[i] for i in keep], [lines[i] for i in keep if i < len(lines)], notes


def _protein_chains(records, seqs, lines, title: str, name: str):
    """Structure files list every chain; Biopython writes DNA, RNA and unknown residues as X."""
    keep = [i for i, s in enumerate(seqs) if s.strip("X")]
    if not seqs:
        return records, seqs, lines, []  # no polymer at all: said by _table
    if not keep:
        raise ProtScopeError(f"none of the {len(seqs):,} chains in this {title} file is a protein: every residue "
                             "is unknown (X), as DNA, RNA or ligand chains are", where=name,
                             fix="upload a structure with protein chains, or a FASTA of the protein sequences")
    notes = []
    if len(keep) < len(seqs):
        notes.append(f"{name}: {len(seqs) - len(keep):,} chains with no amino acids (DNA, RNA or unknown residues "
                     f"only) were left out; {len(keep):,} protein chains remain")
    lines = [lines[i] for i in keep if i < len(lines)]
    return [records[i] for i in keep], [seqs[i] for i in keep], lines, notes


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
    remove_gaps(table, ALIGNMENT_GAPS)
    return table


def read_phylip(text: str, name: str) -> RawTable:
    """PHYLIP comes interleaved or sequential, with names of 10 characters or free: try each reading and
    keep the first whose rows are all residues and gaps (a wrong reading takes residues for names)."""
    tried = []
    for fmt in ("phylip-relaxed", "phylip-sequential", "phylip"):
        try:
            table = read_alignment(text, name, fmt, "PHYLIP")
        except ProtScopeError as exc:
            tried.append(exc)
            continue
        if all(re.fullmatch(r"[A-Za-z*]*", s) for s in table.values["sequence"]):
            return table
    if tried:
        raise tried[0]
    raise ProtScopeError("the file looks like PHYLIP but its rows do not line up with its names in any PHYLIP "
                         "reading (interleaved or sequential, strict or relaxed names)", where=name,
                         fix="check the counts on the first line, or convert the alignment to FASTA")


def read_stockholm(text: str, name: str) -> RawTable:
    """Stockholm; a body without its '# STOCKHOLM 1.0' header or '//' end (as some pipelines write
    it) is read with them added, and says so."""
    notes = []
    if not text.lstrip().startswith("# STOCKHOLM"):
        text = "# STOCKHOLM 1.0\n" + text
        notes.append(f"{name}: the file has Stockholm lines ('#=GS', '#=GC') but no '# STOCKHOLM 1.0' header; "
                     "it was read as Stockholm")
    if not re.search(r"^//\s*$", text, flags=re.MULTILINE):
        text = text.rstrip("\n") + "\n//\n"
    table = read_alignment(text, name, "stockholm", "Stockholm")
    if notes:  # line numbers count from the file as uploaded, without the added header
        table.lines[:] = [max(1, line - 1) for line in table.lines]
    table.notes[:0] = notes
    return table


def read_genbank(text: str, name: str, fmt: str = "genbank") -> RawTable:
    title = "GenBank/GenPept" if fmt == "genbank" else "EMBL"
    records = _parse(SeqIO.parse, text, fmt, title, name)
    starts = _start_lines(text, r"^LOCUS " if fmt == "genbank" else r"^ID   ")
    protein = _protein_records(records, text, fmt)
    if not records or all(protein):
        return _table(name, "GenPept" if fmt == "genbank" and records else title, [r.id for r in records],
                      [_sequence(r, title, name) for r in records], [r.description for r in records], starts)
    ids, seqs, descriptions, lines, translated, empty = [], [], [], [], 0, []
    for n, (record, is_protein) in enumerate(zip(records, protein)):
        line = starts[n] if n < len(starts) else 1
        if is_protein:
            ids.append(record.id)
            seqs.append(_sequence(record, title, name))
            descriptions.append(record.description)
            lines.append(line)
            continue
        cds = [f for f in record.features if f.type == "CDS" and f.qualifiers.get("translation")]
        translated += len(cds)
        empty += [] if cds else [record.id]
        for k, feature in enumerate(cds, start=1):
            q = feature.qualifiers
            ids.append(next((q[key][0] for key in ("protein_id", "locus_tag", "gene") if q.get(key)),
                            f"{record.id}_cds{k}"))
            seqs.append(q["translation"][0].replace(" ", ""))
            descriptions.append(q.get("product", q.get("note", [""]))[0])
            lines.append(line)
    if not ids:
        kinds = sorted({r.annotations.get("molecule_type", "nucleotide") for r in records})
        raise ProtScopeError(f"this {title} file holds {len(records):,} {'/'.join(kinds)} record(s) and no protein: "
                             "none of its CDS features carries a /translation", where=name,
                             fix="download the records as GenPept or FASTA protein ('fasta_cds_aa'), or translate "
                                 "the coding sequences first")
    notes = []
    if translated:
        notes.append(f"{name}: {len(records) - sum(protein):,} of the {len(records):,} {title} records hold "
                     f"nucleotides; their {translated:,} CDS features' /translation proteins were read instead")
    if empty:
        notes.append(f"{name}: {len(empty):,} nucleotide records with no translated CDS were left out "
                     f"({', '.join(empty[:5])})")
    return _table(name, title, ids, seqs, descriptions, lines, notes)


def _protein_records(records, text: str, fmt: str) -> list[bool]:
    """Which records are proteins: by Biopython's molecule type, or for GenBank by the LOCUS line's
    'aa' (Biopython sets no molecule type on some GenPept records)."""
    units = [m.group(1) for m in _LOCUS.finditer(text)] if fmt == "genbank" else []
    if len(units) != len(records):
        units = [""] * len(records)
    return [r.annotations.get("molecule_type", "") in PROTEIN_MOLECULES or unit == "aa"
            for r, unit in zip(records, units)]
