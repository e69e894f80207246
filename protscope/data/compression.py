"""Unpack a compressed upload whole: gzip with any number of members (BGZF is one), bz2, xz, zip.

Each format is recognised by its magic bytes, not its name. Every member of a gzip, bz2 or xz
stream is read (two `gzip -c` outputs concatenated, or BGZF's 64 kB blocks, are one file to
`zcat`, and so to ProtScope). A zip must hold exactly one file. Unpacked size is capped: a file
that unpacks past the limit is refused, never cut short.
"""
from __future__ import annotations

import bz2
import io
import lzma
import re
import zipfile
import zlib

from protscope.errors import ProtScopeError

SUFFIXES = re.compile(r"\.(gz|bgz|bgzf|bz2|xz|zip)$", re.IGNORECASE)
_BGZF_EXTRA = b"BC"  # the subfield id BGZF writes into each gzip member's header


def unpack(data: bytes, name: str, max_bytes: int) -> tuple[bytes, str, list[str]]:
    """The bytes inside `data` (unchanged when not compressed), the inner file name, and notes."""
    if data[:2] == b"\x1f\x8b":
        label = "BGZF" if data[12:14] == _BGZF_EXTRA else "gzip"
        return _streams(data, name, max_bytes, label, lambda: zlib.decompressobj(wbits=31), zlib.error)
    if data[:3] == b"BZh":
        return _streams(data, name, max_bytes, "bz2", bz2.BZ2Decompressor, OSError)
    if data[:6] == b"\xfd7zXZ\x00":
        return _streams(data, name, max_bytes, "xz", lzma.LZMADecompressor, lzma.LZMAError)
    if data[:4] == b"PK\x03\x04":
        return _unzip(data, name, max_bytes)
    if data[:4] == b"(\xb5/\xfd":
        raise ProtScopeError("this is a Zstandard (.zst) file, which ProtScope does not unpack", where=name,
                             fix="unpack it (zstd -d), or compress it with gzip instead")
    return data, name, []


def _too_big(name: str, max_bytes: int) -> ProtScopeError:
    return ProtScopeError(f"the file unpacks to more than {max_bytes / 2**20:,.0f} MB, the limit", where=name,
                          fix="split the file, or upload a subset of its records")


def _streams(data: bytes, name: str, max_bytes: int, label: str, make, error) -> tuple[bytes, str, list[str]]:
    """Decompress member after member until the input is used up, as zcat, bzcat and xzcat do."""
    out, rest, members = bytearray(), data, 0
    while rest:
        if label != "xz" and not rest.strip(b"\x00"):
            break  # zero padding after the last member (tape-style blocks): gzip ignores it too
        inflater = make()
        try:
            out += inflater.decompress(rest, max_bytes + 1 - len(out))
        except error as exc:
            raise ProtScopeError(f"the {label} data is corrupt ({exc})", where=f"{name}, member {members + 1}",
                                 fix="compress the file again or upload it uncompressed") from None
        if len(out) > max_bytes:
            raise _too_big(name, max_bytes)
        if not inflater.eof:  # the output limit was not reached, so the input ran out mid-member
            raise ProtScopeError(f"the {label} file is truncated: it ends inside member {members + 1}", where=name,
                                 fix="download or compress the file again")
        members += 1
        rest = inflater.unused_data
    notes = [f"{name}: {label} with {members:,} members, all read ({len(out):,} bytes)"] if members > 1 else []
    return bytes(out), SUFFIXES.sub("", name), notes


def _unzip(data: bytes, name: str, max_bytes: int) -> tuple[bytes, str, list[str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        files = [i for i in archive.infolist() if not i.is_dir() and not _is_junk(i.filename)]
    except (zipfile.BadZipFile, OSError) as exc:
        raise ProtScopeError(f"the zip archive is damaged ({exc})", where=name,
                             fix="zip the file again, or upload it uncompressed") from None
    names = [i.filename for i in files]
    if "[Content_Types].xml" in names:
        kind = "an Excel workbook" if any(n.startswith("xl/") for n in names) else "an Office document"
        raise ProtScopeError(f"this is {kind}, not a text file", where=name,
                             fix="save the sheet as CSV (UTF-8) and upload that")
    if len(files) != 1:
        shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
        raise ProtScopeError(f"the zip archive holds {len(files)} files ({shown or 'none'}); ProtScope reads a zip "
                             "with exactly one", where=name, fix="upload the one CSV or FASTA file itself")
    info = files[0]
    if info.file_size > max_bytes:
        raise _too_big(name, max_bytes)
    try:
        with archive.open(info) as member:
            content = member.read(max_bytes + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, OSError) as exc:
        raise ProtScopeError(f"cannot unpack '{info.filename}' from the zip ({exc})", where=name,
                             fix="zip it again without a password, or upload it uncompressed") from None
    if len(content) > max_bytes:
        raise _too_big(name, max_bytes)
    inner = info.filename.rsplit("/", 1)[-1]
    return content, inner, [f"{name}: read '{info.filename}' from the zip archive"]


def _is_junk(path: str) -> bool:
    """Files macOS and Windows add to archives: resource forks and folder metadata."""
    base = path.rsplit("/", 1)[-1]
    return path.startswith("__MACOSX/") or base.startswith("._") or base in (".DS_Store", "Thumbs.db")
