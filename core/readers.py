"""Turn the bytes of an uploaded or built-in file into a RawTable of text columns.

Handles CSV and TSV (delimiter sniffed, UTF-8 BOM, CRLF, quoted fields), FASTA (read with
Biopython; labels from `>id label=1` or `>id|1` headers) and gzip. It knows nothing about
proteins: deciding which column is what, and validating values, happens in `columns` and
`dataset`. Anything that cannot be read raises ProtScopeError naming the file and line.
"""
from __future__ import annotations

import csv
import io
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from Bio.SeqIO.FastaIO import SimpleFastaParser

from core.errors import ProtScopeError

MAX_BYTES = 200 * 1024 * 1024  # same as the dashboard's upload limit
FASTA_SUFFIXES = {".fasta", ".fa", ".faa", ".fas", ".fna", ".fsa", ".pep"}
# Header keys in `>id key=value` that may carry labels; others (UniProt's OS=, OX=...) are ignored.
FASTA_LABEL_KEYS = {"label", "class", "y", "target", "value", "split", "set", "fold",
                    "solubility", "fitness", "activity", "score"}
MAX_COLUMNS = 1000
_SEQUENCE_LETTERS = set("ACDEFGHIKLMNPQRSTVWYXBZJUO")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class RawTable:
    """Text columns read from one file, with the physical line each record starts on."""

    source: str
    kind: str  # "csv" or "fasta"
    columns: list[str]
    values: dict[str, list[str]]
    lines: list[int]
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)


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
    """Parse a CSV, TSV or FASTA file (optionally gzipped) given as bytes."""
    if len(data) > max_bytes:
        raise ProtScopeError(f"file is {len(data) / 2**20:,.0f} MB; the limit is "
                             f"{max_bytes / 2**20:,.0f} MB", where=name, fix="split the file")
    data, name = _gunzip(data, name, max_bytes)
    text, notes = decode_text(data, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    head = text[:65536].split("\n")
    first = next((ln for ln in head if ln.strip() and not ln.startswith(";")), "")
    named_fasta = Path(name).suffix.lower() in FASTA_SUFFIXES
    if first.lstrip().startswith(">") or (named_fasta and any(ln.startswith(">") for ln in head)):
        table = _read_fasta(text, name)
    elif named_fasta:
        raise ProtScopeError("the file is named like FASTA but has no '>' header line",
                             where=f"{name}, line 1", fix="start each record with '>id', then the sequence")
    else:
        table = _read_delimited(text, name, max_rows)
    table.notes[:0] = notes
    if max_rows is not None and len(table) > max_rows:
        raise ProtScopeError(f"the file has {len(table):,} records; the limit is {max_rows:,}",
                             where=name, fix="use a subset of the file or raise max_rows")
    return table


def _gunzip(data: bytes, name: str, max_bytes: int) -> tuple[bytes, str]:
    if data[:2] != b"\x1f\x8b":
        if data[:4] == b"PK\x03\x04":
            raise ProtScopeError("this is a ZIP archive (or an Excel workbook), not a text file",
                                 where=name, fix="extract the CSV or FASTA inside, or save the sheet as CSV")
        return data, name
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise ProtScopeError(f"the gzip data is corrupt ({exc})", where=name,
                             fix="compress the file again or upload it uncompressed") from None
    if len(out) > max_bytes:
        raise ProtScopeError(f"the file unpacks to more than {max_bytes / 2**20:,.0f} MB", where=name,
                             fix="split the file")
    if not inflater.eof:
        raise ProtScopeError("the gzip file is truncated", where=name, fix="compress the file again")
    return out, re.sub(r"\.gz$", "", name, flags=re.IGNORECASE)


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
    if b"\x00" in data[:4096]:
        # UTF-16 without a byte-order mark: every other byte of ASCII text is zero.
        sample = data[:4096]
        for zeros, codec in ((sample[1::2], "utf-16-le"), (sample[0::2], "utf-16-be")):
            if len(data) % 2 == 0 and zeros.count(0) > 0.9 * len(zeros):
                try:
                    return _check_text(data.decode(codec), name), [f"{name}: read as {codec.upper()} text"]
                except UnicodeDecodeError:
                    break
        raise ProtScopeError("this looks like a binary file, not CSV or FASTA text", where=name,
                             fix="export the data as CSV (UTF-8) or FASTA")
    try:
        return _check_text(data.decode("utf-8-sig"), name), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        text = _check_text(data.decode("latin-1"), name)
        return text, [f"{name}: not valid UTF-8 (first bad byte on line {line}); read as Latin-1. "
                      "Save it as UTF-8 if ids or labels look garbled"]


def _check_text(text: str, name: str) -> str:
    controls = len(_CONTROL.findall(text[:65536]))
    if controls > max(3, len(text[:65536]) // 1000):
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
        delimiter = _sniff_delimiter(text, name)
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
    if any(_looks_like_sequence(cell) for cell in header):
        rows.insert(0, header)
        lines.insert(0, header_line)
        columns = [f"column_{i + 1}" for i in range(len(header))]
        notes.append(f"{name}: the first line looks like data, not a header; columns are named "
                     "column_1, column_2, ...")
    else:
        columns, header_notes = _clean_header(header, name)
        notes += header_notes
    if not rows:
        raise ProtScopeError("the file has a header but no data rows", where=name,
                             fix="add one row per protein below the header")
    width = len(columns)
    for record, line in zip(rows, lines):
        if len(record) != width:
            raise ProtScopeError(f"this row has {len(record)} fields but the header has {width} "
                                 f"(delimiter {delimiter!r})", where=f"{name}, line {line}",
                                 fix="make every row have the same number of fields; quote fields "
                                     "that contain the delimiter")
    values = {col: [r[i].strip() for r in rows] for i, col in enumerate(columns)}
    return RawTable(name, "csv", columns, values, lines, notes)


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


def _looks_like_sequence(cell: str) -> bool:
    cell = cell.strip().upper()
    return len(cell) >= 20 and set(cell) <= _SEQUENCE_LETTERS


# --- FASTA ----------------------------------------------------------------------------------------

def _read_fasta(text: str, name: str) -> RawTable:
    lines = text.split("\n")
    header_lines = [i + 1 for i, ln in enumerate(lines) if ln.startswith(">")]
    first = header_lines[0]
    for i, ln in enumerate(lines[: first - 1]):
        if ln.strip() and not ln.startswith(";"):
            raise ProtScopeError("text before the first '>' header", where=f"{name}, line {i + 1}",
                                 fix="remove it or start the file with a '>id' line")
    records = list(SimpleFastaParser(io.StringIO(text)))
    ids, seqs, descriptions, extra = [], [], [], {}
    for n, (title, seq) in enumerate(records):
        token, _, description = title.strip().partition(" ")
        if not token:
            raise ProtScopeError("a header line has no id", where=f"{name}, line {header_lines[n]}",
                                 fix="write '>id' or '>id label=1'")
        parts = token.split("|")
        if len(parts) == 2 and parts[1]:
            token = parts[0]
            extra.setdefault("label", {})[n] = parts[1]
        for key, value in re.findall(r"(\w+)=(\S+)", description):
            if key.lower() in FASTA_LABEL_KEYS:
                extra.setdefault(key.lower(), {})[n] = value
        ids.append(token)
        seqs.append(seq)
        descriptions.append(description)
    values = {"id": ids, "sequence": seqs}
    for key, by_row in extra.items():
        values[key] = [by_row.get(i, "") for i in range(len(records))]
    values["description"] = descriptions
    return RawTable(name, "fasta", list(values), values, header_lines)
