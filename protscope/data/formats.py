"""Which format a file is, from its content, and a reader for each sequence format ProtScope takes.

FORMATS is the registry, tried in order on the file's first lines. Each entry either reads the
format into a RawTable of sequence records (Biopython's SeqIO and AlignIO do the parsing), or
refuses it with a message that names the format and says what to upload instead: search results,
sequencing reads and annotation tables cannot hold a protein dataset. Text that no entry claims is
read as a CSV or TSV table by `readers`.
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from protscope.data.fasta import read_fasta, remove_gaps
from protscope.data.raw_table import RawTable
from protscope.data.seqio_records import read_alignment, read_genbank, read_phylip, read_seqio, read_stockholm
from protscope.errors import ProtScopeError

UPLOAD_INSTEAD = "upload the protein sequences as FASTA, or a CSV with a sequence column and a label column"
# Binary files, by their first bytes, named so the message says what the file is.
MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"%PDF", "a PDF document"),
         (b"ABIF", "an ABI Sanger trace (chromatogram)"), (b"BAM\x01", "a BAM file of aligned reads"),
         (b"\x43\x27\x41\x1a", "a 2bit genome file"), (b"\x1a\x41\x27\x43", "a 2bit genome file"),
         (b".sff", "an SFF file of sequencing reads"), (b"\x89HDF", "an HDF5 file"),
         (b"SQLite format 3\x00", "an SQLite database"), (b"\xd0\xcf\x11\xe0", "an old Excel or Office file (.xls)"),
         (b"PAR1", "a Parquet file"), (b"\x93NUMPY", "a NumPy array file"), (b"\t\x00\x00\x00\x0eSnapGene",
                                                                           "a SnapGene file"))


@dataclass(frozen=True)
class Head:
    """What sniffing looks at: the first non-blank lines of the text."""

    lines: list[str]

    @property
    def first(self) -> str:
        return self.lines[0] if self.lines else ""

    def any(self, pattern: str) -> bool:
        return any(re.match(pattern, ln) for ln in self.lines)


@dataclass(frozen=True)
class Format:
    key: str
    title: str
    detect: Callable[[Head], bool]
    read: Callable[[str, str], RawTable] | None = None
    what: str = ""  # for refused formats: what such a file holds


def _fasta_first(head: Head) -> bool:
    """'>' on the first line that is not a comment or title (Pearson allows a title line first)."""
    body = [ln for ln in head.lines if not ln.startswith((";", "#"))]
    return bool(body) and (body[0].startswith(">") or (len(body) > 1 and body[1].startswith(">")))


def _blast_table(head: Head) -> bool:
    if head.any(r"# (T?BLAST[NPX]?|PSIBLAST|DELTA-BLAST|RPSBLAST|FASTA|fasta\d*|ssearch)\b.*") and \
            head.any(r"# Fields:|# Query:"):
        return True
    rows = [ln.split("\t") for ln in head.lines if not ln.startswith("#")][:5]
    return bool(rows) and all(len(r) in (12, 13, 14) and _numbers(r[2:12]) for r in rows)


def _numbers(cells: list[str]) -> bool:
    try:
        [float(c) for c in cells]
        return True
    except ValueError:
        return False


def _xml_root(head: Head) -> str:
    text = " ".join(head.lines[:20])
    match = re.search(r"<(?![?!])([A-Za-z_][\w.:-]*)", text)
    return match.group(1) if match and head.first.startswith("<") else ""


def _read_pir(text: str, name: str) -> RawTable:
    table = read_seqio(text, name, "pir", "PIR/NBRF", r"^>")
    remove_gaps(table)
    return table


def starts(*prefixes: str) -> Callable[[Head], bool]:
    return lambda h: h.first.startswith(prefixes)


def first_matches(pattern: str) -> Callable[[Head], bool]:
    return lambda h: re.match(pattern, h.first) is not None


def seqio(fmt: str, title: str, record_start: str) -> Callable[[str, str], RawTable]:
    return lambda text, name: read_seqio(text, name, fmt, title, record_start)


def alignio(fmt: str, title: str) -> Callable[[str, str], RawTable]:
    return lambda text, name: read_alignment(text, name, fmt, title)


def _fastq(head: Head) -> bool:
    return head.first.startswith("@") and not head.first.startswith("@HD") and len(head.lines) >= 3 \
        and head.lines[2].startswith("+")


def _gff(head: Head) -> bool:
    if head.any(r"##(gff-version|sequence-region) "):
        return True
    rows = [ln.split("\t") for ln in head.lines if not ln.startswith("#")][:5]
    return bool(rows) and all(len(r) == 9 and r[3].isdigit() and r[4].isdigit() and r[6] in "+-.?" for r in rows)


def _intelligenetics(head: Head) -> bool:
    """IntelliGenetics/MASE: ';' comment blocks, a name line, residues ending in 1 or 2; no '>'."""
    return head.first.startswith(";") and not any(ln.startswith(">") for ln in head.lines)


def _read_intelligenetics(text: str, name: str) -> RawTable:
    lines = text.split("\n")
    starts = [i + 1 for i in range(1, len(lines)) if lines[i - 1].startswith(";") and not lines[i].startswith(";")]
    records = read_seqio(text, name, "ig", "IntelliGenetics", r"^;")
    records.lines[:] = (starts + records.lines)[: len(records)]
    remove_gaps(records)
    return records


def _read_pdb(text: str, name: str) -> RawTable:
    return read_seqio(text, name, "pdb-seqres" if "\nSEQRES" in text else "pdb-atom", "PDB", r"^(SEQRES|ATOM)")


def _read_mmcif(text: str, name: str) -> RawTable:
    fmt = "cif-seqres" if "_pdbx_poly_seq_scheme" in text else "cif-atom"
    return read_seqio(text, name, fmt, "mmCIF", r"^data_")


HITS = "search hits (alignments of a query against a database), not a set of labelled proteins"
CLUSTAL = r"(CLUSTAL|MUSCLE \(|PROBCONS|T-COFFEE|MSAPROBS|KALIGN)"
SEARCH_OUTPUT = r"(# (hmmscan|hmmsearch|phmmer|jackhmmer|nhmmer)\b|HMMER\d)"
STRUCTURE = r"(HEADER|ATOM  |HETATM|SEQRES|CRYST1|COMPND|REMARK|MODEL )"

FORMATS = (
    Format("html", "a web page (HTML)", lambda h: h.first.lower().startswith(("<!doctype html", "<html")),
           what="the page around the data, not the data: the download saved the web page; use the site's "
                "FASTA or CSV download link"),
    Format("uniprot-xml", "UniProt XML", lambda h: _xml_root(h) == "uniprot",
           read=seqio("uniprot-xml", "UniProt XML", r"^\s*<entry\b")),
    Format("seqxml", "SeqXML", lambda h: _xml_root(h) == "seqXML", read=seqio("seqxml", "SeqXML", r"^\s*<entry\b")),
    Format("blast-xml", "BLAST XML output", lambda h: _xml_root(h) in ("BlastOutput", "BlastXML2"), what=HITS),
    Format("uniref-xml", "UniRef cluster XML", lambda h: _xml_root(h).startswith("UniRef"),
           what="clusters of UniProt entries (only each cluster's representative carries a sequence), not a set of "
                "labelled proteins; download the cluster members from UniProt as FASTA"),
    Format("xml", "an XML file", lambda h: bool(_xml_root(h)), what="XML of a kind ProtScope does not read"),
    Format("fastq", "a FASTQ file", _fastq,
           what="sequencing reads (nucleotides with base qualities), not protein sequences"),
    Format("sam", "a SAM file", first_matches(r"@(HD|SQ|RG|PG)\t"), what="aligned sequencing reads"),
    Format("stockholm", "Stockholm", lambda h: h.first.startswith("# STOCKHOLM") or h.any(r"#=G[FSCR] "),
           read=read_stockholm),
    Format("emboss", "EMBOSS alignment output", lambda h: h.any(r"# (Program|Aligned_sequences): "),
           what="pairwise alignments reported by an EMBOSS program, not a set of labelled proteins"),
    Format("clustal", "Clustal", first_matches(CLUSTAL), read=alignio("clustal", "Clustal")),
    Format("nexus", "NEXUS", lambda h: h.first.upper().startswith("#NEXUS"), read=alignio("nexus", "NEXUS")),
    Format("msf", "MSF", lambda h: h.any(r".*\bMSF:\s*\d+.*Check:") or h.first.startswith("!!AA_MULTIPLE"),
           read=alignio("msf", "MSF")),
    Format("maf", "MAF", starts("##maf"), read=alignio("maf", "MAF")),
    Format("genbank", "GenBank/GenPept", lambda h: h.any(r"LOCUS "), read=read_genbank),
    Format("swiss", "SwissProt/UniProt text", first_matches(r"ID   [^\s;]+\s+.*\d+ AA\.\s*$"),
           read=seqio("swiss", "SwissProt", r"^ID   ")),
    Format("embl", "EMBL", starts("ID   "), read=lambda t, n: read_genbank(t, n, "embl")),
    Format("pir", "PIR/NBRF", first_matches(r">(P1|F1|DL|DC|RL|RC|N3|N1|XX);"), read=_read_pir),
    Format("fasta-m10", "FASTA search output (-m 10)",
           lambda h: h.any(r">>>") or h.any(r"; (pg_name|sw_score|fa_frame):"), what=HITS),
    Format("blast-text", "BLAST text output", first_matches(r"T?BLAST[NPX]? \d|PSIBLAST \d|RPS-BLAST"), what=HITS),
    Format("blast-tab", "BLAST or FASTA tabular output", _blast_table,
           what="search hits (query id, subject id, % identity, e-value ...), with no sequences in it"),
    Format("hmmer", "HMMER output", lambda h: first_matches(SEARCH_OUTPUT)(h)
           or h.any(r"# (hmm(scan|search) ::|target name|\s+--- full sequence ---)"),
           what="profile search results or an HMM, not a set of labelled proteins"),
    Format("pdb", "PDB", first_matches(STRUCTURE), read=_read_pdb),
    Format("mmcif", "mmCIF", lambda h: h.first.startswith("data_") and h.any(r"(loop_|_entry\.|_atom_site\.)"),
           read=_read_mmcif),
    Format("gff", "a GFF file", _gff,
           what="genome annotations (feature coordinates), not protein sequences"),
    Format("vcf", "a VCF file", starts("##fileformat=VCF"), what="genetic variants, not protein sequences"),
    Format("newick", "a Newick tree", lambda h: h.first.startswith("(") and h.lines[-1].rstrip().endswith(";"),
           what="a phylogenetic tree, with no sequences in it"),
    Format("json", "a JSON file", starts("{", "["), what="ProtScope does not read JSON as a dataset"),
    Format("phylip", "PHYLIP", lambda h: bool(re.fullmatch(r"\s*\d+\s+\d+(\s+\S+)?\s*", h.first)),
           read=read_phylip),
    Format("fasta", "FASTA", _fasta_first, read=read_fasta),
    Format("ig", "IntelliGenetics/MASE", _intelligenetics, read=_read_intelligenetics),
)
BY_KEY = {f.key: f for f in FORMATS}


def sniff(text: str) -> Format | None:
    """The format of a text, or None for a delimited table (or text no entry claims)."""
    lines = [ln.rstrip() for ln in io.StringIO(text[:65536]).read().split("\n")[:400] if ln.strip()][:40]
    head = Head(lines)
    return next((f for f in FORMATS if f.detect(head)), None)


def read_format(fmt: Format, text: str, name: str) -> RawTable:
    if fmt.read is None:
        raise ProtScopeError(f"this is {fmt.title}: {fmt.what}", where=name, fix=UPLOAD_INSTEAD)
    return fmt.read(text, name)


def binary_kind(data: bytes) -> str:
    """What a binary file is, from its first bytes; "" when unknown."""
    return next((what for magic, what in MAGIC if data.startswith(magic)), "")
