"""Turn the bytes of an uploaded or built-in file into a RawTable of text columns.

The format comes from the content, not the name: compression by magic bytes (`compression`),
binary files named by theirs, then sequence formats sniffed from the first lines (`formats`:
FASTA, GenBank, EMBL, SwissProt, UniProt XML, Clustal, Stockholm, PHYLIP, PIR, ...). Text that no
sequence format claims is read as CSV or TSV (delimiter sniffed, UTF-8 BOM, CRLF, quoted fields).
It knows nothing about proteins: deciding which column is what, and validating values, happens in
`columns` and `dataset`. Anything that cannot be read raises ProtScopeError naming the file and line.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from protscope.data.columns import NAMES
from protscope.data.composition import column_evidence
from protscope.data.compression import unpack
from protscope.data.formats import FORMATS, binary_kind, read_format, sniff
from protscope.data.raw_table import RawTable
from protscope.errors import ProtScopeError

__all__ = ["RawTable", "read_bytes", "read_path", "decode_text", "MAX_BYTES"]

MAX_BYTES = 200 * 1024 * 1024  # same as the dashboard's upload limit
FASTA_SUFFIXES = {".fasta", ".fa", ".faa", ".fas", ".fna", ".fsa", ".pep", ".aa", ".pro", ".mfa", ".a3m"}
MAX_COLUMNS = 1000
MIN_HEADER_PROTEIN = 8  # letters
HEADER_PROTEIN_SCORE = 0.3  # nats per letter: 77% of 8-19-residue peptides, 1% of 8+-letter English words
KNOWN_NAMES = {name for names in NAMES.values() for name in names}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
READ_FORMATS = ", ".join(f.title for f in FORMATS if f.read is not None)


def read_path(path: str | Path, max_bytes: int = MAX_BYTES, max_rows: int | None = None) -> RawTable:
    path = Path(path)
    if not path.is_file():
        raise ProtScopeError("file not found", where=str(path), fix="check the path")
    size = path.stat().st_size
    if size > max_bytes:
        raise ProtScopeError(f"file is {size / 2**20:,.0f} MB; the limit is {max_bytes / 2**20:,.0f} MB",
                             where=path.name, fix="split the file or raise the limit")
    return read_bytes(path.read_bytes(), path.name, max_bytes=max_bytes, max_rows=max_rows)


def read_bytes(data: bytes, name: str, max_bytes: int = MAX_BYTES,
               max_rows: int | None = None) -> RawTable:
    """Parse a table or sequence file (optionally compressed) given as bytes."""
    if len(data) > max_bytes:
        raise ProtScopeError(f"file is {len(data) / 2**20:,.0f} MB; the limit is "
                             f"{max_bytes / 2**20:,.0f} MB", where=name, fix="split the file")
    _refuse_binary(data, name)
    data, name, notes = unpack(data, name, max_bytes)
    _refuse_binary(data, name)
    text, decode_notes = decode_text(data, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    fmt = sniff(text)
    if fmt is not None:
        table = read_format(fmt, text, name)
    elif Path(name).suffix.lower() in FASTA_SUFFIXES:
        raise ProtScopeError("the file is named like FASTA but has no '>' header line",
                             where=f"{name}, line 1", fix="start each record with '>id', then the sequence")
    else:
        table = _read_delimited(text, name, max_rows)
    table.notes[:0] = notes + decode_notes
    if max_rows is not None and len(table) > max_rows:
        raise ProtScopeError(f"the file has {len(table):,} records; the limit is {max_rows:,}",
                             where=name, fix="use a subset of the file or raise max_rows")
    return table


def _refuse_binary(data: bytes, name: str) -> None:
    what = binary_kind(data)
    if what:
        raise ProtScopeError(f"this is {what}, not a text file of sequences", where=name,
                             fix="upload the protein sequences as FASTA, or a CSV with a sequence column")


def decode_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """Decode bytes as text: UTF-8 (with or without BOM), UTF-16/32 with a BOM, else Latin-1."""
    if not data.strip():
        raise ProtScopeError("the file is empty", where=name, fix="choose a file with a header and data rows")
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return _check_text(data.decode(codec), name), [f"{name}: read as {codec.upper()} text"]
            except UnicodeDecodeError:
                raise ProtScopeError(f"the file starts with a {codec.upper()} mark but is not valid "
                                     f"{codec.upper()}", where=name, fix="save it again as UTF-8") from None
    if b"\x00" in data:
        decoded = _utf16_without_bom(data, name)
        if decoded is not None:
            return decoded
        _refuse_nul(data, name)
    try:
        return _check_text(data.decode("utf-8-sig"), name), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        text = _check_text(data.decode("latin-1"), name)
        return text, [f"{name}: not valid UTF-8 (first bad byte on line {line}); read as Latin-1. "
                      "Save it as UTF-8 if ids or labels look garbled"]


def _utf16_without_bom(data: bytes, name: str) -> tuple[str, list[str]] | None:
    """UTF-16 text without a byte-order mark: every other byte of ASCII text is zero."""
    sample = data[:4096]
    for zeros, codec in ((sample[1::2], "utf-16-le"), (sample[0::2], "utf-16-be")):
        if len(data) % 2 == 0 and zeros.count(0) > 0.9 * len(zeros):
            try:
                return _check_text(data.decode(codec), name), [f"{name}: read as {codec.upper()} text"]
            except UnicodeDecodeError:
                return None
    return None


def _refuse_nul(data: bytes, name: str) -> None:
    """Many NUL bytes: a binary file. A few in text (a damaged copy, a bad export): say on which line."""
    count = data.count(0)
    if count > max(16, len(data) // 100):
        raise ProtScopeError("this looks like a binary file, not CSV or FASTA text", where=name,
                             fix="export the data as CSV (UTF-8) or FASTA")
    first = data.index(0)
    line = data[:first].count(b"\n") + 1
    column = first - (data.rfind(b"\n", 0, first) + 1) + 1
    raise ProtScopeError(f"the file holds {count:,} NUL byte(s) (character code 0), which text never does; "
                         f"the first is at column {column}", where=f"{name}, line {line}",
                         fix="the file may be damaged or saved in a binary format: export it again as UTF-8 text, or "
                             "delete the NUL characters in a text editor")


def _check_text(text: str, name: str) -> str:
    sample = text[:65536]
    controls = len(_CONTROL.findall(sample))
    if controls > max(3, len(sample) // 100):
        raise ProtScopeError("this looks like a binary file, not CSV or FASTA text", where=name,
                             fix="export the data as CSV (UTF-8) or FASTA")
    return text


# --- delimited text -------------------------------------------------------------------------------

def _sniff_delimiter(text: str, name: str) -> str:
    if name.lower().endswith((".tsv", ".tab")):
        return "\t"
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        header = sample.split("\n", 1)[0]
        counts = {d: header.count(d) for d in ",\t;|"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_delimited(text: str, name: str, max_rows: int | None) -> RawTable:
    notes = []
    excel = re.match(r"sep=(.)\n", text)  # Excel's "sep=;" first line names the delimiter
    if excel:
        delimiter, text = excel.group(1), "\n" + text[excel.end():]
        notes.append(f"{name}: line 1 'sep={delimiter}' sets the delimiter")
    else:
        delimiter = _sniff_delimiter(_without_comments(text), name)
    text = _skip_comment_lines(text, delimiter, name, notes)
    _check_column_count(text, delimiter, name)
    csv.field_size_limit(max(len(text), 131072))
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header, header_line, rows, lines = None, 1, [], []
    try:
        start = 1
        for record in reader:
            if any(cell.strip() for cell in record):
                if header is None:
                    header, header_line = record, start
                else:
                    rows.append(record)
                    lines.append(start)
                    if max_rows is not None and len(rows) > max_rows:
                        break
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ProtScopeError(f"cannot parse the file as delimited text ({exc})",
                             where=f"{name}, line {reader.line_num}",
                             fix="check for an unclosed quote or a stray quote character") from None
    if header is None:
        raise ProtScopeError("the file has no rows", where=name, fix="add a header and data rows")
    if _header_is_data(header, rows):
        rows.insert(0, header)
        lines.insert(0, header_line)
        columns, named = [f"column_{i + 1}" for i in range(len(header))], False
        notes.append(f"{name}: the first line looks like data, not a header; columns are named "
                     "column_1, column_2, ...")
    else:
        (columns, header_notes), named = _clean_header(header, name), True
        notes += header_notes
    if not rows:
        raise ProtScopeError("the file has a header but no data rows", where=name,
                             fix="add one row per protein below the header")
    width = len(columns)
    for record, line in zip(rows, lines):
        if len(record) != width:
            unknown = "" if width > 1 else (f"; the file matched none of the sequence formats ProtScope reads "
                                            f"({READ_FORMATS}), so it was read as a table")
            raise ProtScopeError(f"this row has {len(record)} fields but the header has {width} "
                                 f"(delimiter {delimiter!r}){unknown}", where=f"{name}, line {line}",
                                 fix="make every row have the same number of fields; quote fields "
                                     "that contain the delimiter")
    values = {col: [r[i].strip() for r in rows] for i, col in enumerate(columns)}
    return RawTable(name, "table", columns, values, lines, notes, format="TSV" if delimiter == "\t" else "CSV",
                    named_header=named)


def _without_comments(text: str) -> str:
    lines = text.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")), 0)
    return "\n".join(lines[first:])


def _skip_comment_lines(text: str, delimiter: str, name: str, notes: list[str]) -> str:
    """'#' lines before the header (pandas' comment='#', QIIME, csvkit) are blanked, keeping line numbers.
    The last of them is the header when it has as many fields as the first data line ('#OTU ID\tf1...')."""
    lines = text.split("\n")
    leading = 0
    while leading < len(lines) and (lines[leading].startswith("#") or not lines[leading].strip()):
        leading += 1
    comments = [i for i in range(leading) if lines[i].startswith("#")]
    if not comments or leading == len(lines):
        return text
    last = comments[-1]
    if lines[last].count(delimiter) and lines[last].count(delimiter) == lines[leading].count(delimiter):
        lines[last] = lines[last][1:]
        comments.pop()
    if not comments:
        return "\n".join(lines)
    for i in comments:
        lines[i] = ""
    notes.append(f"{name}: {len(comments)} comment line(s) starting with '#' before the header were skipped "
                 f"(line {comments[0] + 1}: '{text.split(chr(10))[comments[0]][:40]}')")
    return "\n".join(lines)


def _check_column_count(text: str, delimiter: str, name: str) -> None:
    """Refuse absurdly wide rows before the CSV reader builds millions of empty fields."""
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_COLUMNS and line.count(delimiter) >= MAX_COLUMNS:
            raise ProtScopeError(f"this line has more than {MAX_COLUMNS:,} fields", where=f"{name}, line {number}",
                                 fix="check the delimiter; ProtScope expects a few columns per protein")


def _clean_header(header: list[str], name: str) -> tuple[list[str], list[str]]:
    """Column names: stripped, blanks named, duplicates renamed."""
    notes, columns, seen = [], [], {}
    for i, col in enumerate(header):
        col = col.strip().strip('"') or f"column_{i + 1}"
        if col in seen:
            seen[col] += 1
            notes.append(f"{name}: column name '{col}' appears twice; the second is '{col}_{seen[col]}'")
            col = f"{col}_{seen[col]}"
        seen.setdefault(col, 1)
        columns.append(col)
    return columns, notes


def _header_is_data(header: list[str], rows: list[list[str]]) -> bool:
    """Is the first line a protein record rather than column names (a file with no header line)?

    Yes when a cell is a protein of 20+ residues; or, over a column of proteins, when its cell is a
    protein-like 8+ letters that is no column name ProtScope knows; or when that cell is protein-like
    and another is a number over a column of numbers (names are rarely numbers; labels often are).
    """
    cells = [c.strip() for c in header]
    if any(len(c) >= 20 and column_evidence([c]).kind == "protein" for c in cells):
        return True
    sample = rows[:200]
    for i, cell in enumerate(cells):
        column = [r[i].strip() for r in sample if len(r) > i]
        if not cell.isalpha() or re.sub(r"[^a-z0-9]", "", cell.lower()) in KNOWN_NAMES or \
                column_evidence(column).kind != "protein":
            continue
        score = column_evidence([cell]).protein_vs_english
        if len(cell) >= MIN_HEADER_PROTEIN and score >= HEADER_PROTEIN_SCORE:
            return True
        numbers = [j for j, c in enumerate(cells) if j != i and _number(c) and all(_number(r[j]) for r in sample
                                                                                  if len(r) > j)]
        if score > 0 and numbers:
            return True
    return False


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False
