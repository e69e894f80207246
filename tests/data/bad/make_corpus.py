"""(Re)create the corpus of malformed and tricky input files in this folder, deterministically.

Run `python tests/data/bad/make_corpus.py` from the repository root (or from anywhere). Every file
is rebuilt from a fixed seed, so running it twice gives byte-identical files. What each file is
expected to do (load, possibly with a warning, or fail with a ProtScopeError naming the problem)
is written by hand in EXPECTED.toml next to this script; tests/test_bad_files.py checks both.

Huge cases (a 100 MB line, a 200k-residue sequence, gzip bombs) are built at test time instead.
"""
from __future__ import annotations

import gzip
import io
import random
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
AA = "ACDEFGHIKLMNPQRSTVWY"
N = 30  # rows in a "valid except for one problem" file; core needs at least 20 usable ones


def sequence(rng: random.Random, low: int = 30, high: int = 300) -> str:
    return "".join(rng.choice(AA) for _ in range(rng.randint(low, high)))


def base_rows(seed: int, n: int = N, low: int = 30, high: int = 300) -> list[list[str]]:
    """[id, sequence, label] rows with balanced binary labels."""
    rng = random.Random(seed)
    return [[f"P{seed:02d}{i:04d}", sequence(rng, low, high), str(i % 2)] for i in range(n)]


def csv_text(header: list[str], rows: list[list[str]], sep: str = ",", end: str = "\n") -> str:
    return end.join(sep.join(r) for r in [header, *rows]) + end


def quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def build() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    hdr = ["id", "sequence", "label"]

    def put(name: str, text: str | bytes, encoding: str = "utf-8") -> None:
        files[name] = text if isinstance(text, bytes) else text.encode(encoding)

    # --- encodings and line ends -------------------------------------------------------------
    put("utf8_bom.csv", "\ufeff" + csv_text(hdr, base_rows(1)))
    put("crlf.csv", csv_text(hdr, base_rows(2), end="\r\n"))
    put("cr_only.csv", csv_text(hdr, base_rows(3), end="\r"))
    put("utf16_bom.csv", csv_text(hdr, base_rows(4)), "utf-16")  # Python writes the BOM
    rows = base_rows(5)
    rows[3][0], rows[7][0] = "Protéine_α", "Ölbaum_β"
    put("utf8_unicode_ids.csv", csv_text(hdr, rows))
    put("utf16_no_bom.csv", csv_text(hdr, base_rows(43)), "utf-16-le")
    put("excel_sep_line.csv", "sep=;\n" + csv_text(hdr, base_rows(44), sep=";"))
    rows = base_rows(45)
    rows[4][1] = rows[4][1][:10] + "\u200b" + rows[4][1][10:]  # a zero-width space from a web page
    put("zero_width_space.csv", csv_text(hdr, rows))
    rows = base_rows(6)
    rows[3][0], rows[6][0] = "Protéine_1", "Ölbaum_2"
    put("latin1_ids.csv", csv_text(hdr, rows), "latin-1")

    # --- delimiters, quoting and headers --------------------------------------------------
    rows = base_rows(7)
    out = ["id,sequence,label,note"]
    for i, (pid, seq, lab) in enumerate(rows):
        note = {2: 'contains, a comma', 5: 'two\nlines, and "quotes"', 9: 'a\r\nCRLF inside'}.get(i, "plain")
        out.append(",".join([quote(pid), quote(seq), lab, quote(note)]))
    put("quoted_fields.csv", "\n".join(out) + "\n")
    put("tab_separated.tsv", csv_text(hdr, base_rows(8), sep="\t"))
    put("semicolon.csv", csv_text(hdr, base_rows(9), sep=";"))
    rows = base_rows(10)
    rows[10] = rows[10] + ["extra"]  # line 12: header is line 1, row i is line i + 2
    put("ragged_row.csv", csv_text(hdr, rows))
    rows = base_rows(11)
    text = csv_text(hdr, rows).splitlines()
    text[15] = text[15].replace(",", ',"', 1)  # an opening quote that is never closed
    put("unclosed_quote.csv", "\n".join(text) + "\n")
    put("header_only.csv", "id,sequence,label\n")
    put("headerless.csv", csv_text(hdr, base_rows(12))[len("id,sequence,label\n"):])
    put("duplicate_column_names.csv",
        csv_text(["id", "sequence", "label", "label"], [r + [str(1 - int(r[2]))] for r in base_rows(13)]))
    put("headerless_lowercase.csv",
        "".join(",".join([r[0], r[1].lower(), r[2]]) + "\n" for r in base_rows(59)))
    rng = random.Random(61)
    rows = [[r[0], r[1], f"{rng.uniform(0, 1):.3f}".replace(".", ",")] for r in base_rows(61)]
    put("decimal_commas.csv", csv_text(["id", "sequence", "solubility"], rows, sep=";"))
    put("header_whitespace.csv", csv_text([" ID ", '  Sequence', "Label  "], base_rows(14)))
    text = csv_text(hdr, base_rows(15)).splitlines()
    put("blank_lines.csv", "\n\n" + "\n\n".join(text[:10]) + "\n   \n" + "\n".join(text[10:]) + "\n\n\n")

    # --- not text at all ------------------------------------------------------------------
    rng = random.Random(16)
    put("binary_random.csv", bytes(rng.randrange(256) for _ in range(4096)) + b"\x00" * 16)
    put("png_header.fasta", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02"
        b"\x00\x00\x00\x90\x91h6" + bytes(rng.randrange(256) for _ in range(300)))
    put("gzipped.csv.gz", gzip.compress(csv_text(hdr, base_rows(17)).encode(), mtime=0))
    whole = gzip.compress(csv_text(hdr, base_rows(18)).encode(), mtime=0)
    put("truncated_gzip.csv.gz", whole[: len(whole) // 2])
    corrupt = bytearray(gzip.compress(csv_text(hdr, base_rows(19)).encode(), mtime=0))
    corrupt[-8:-4] = bytes(b ^ 0xFF for b in corrupt[-8:-4])  # wrong CRC32 in the trailer
    put("corrupt_gzip.csv.gz", bytes(corrupt))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("data.csv", date_time=(2020, 1, 1, 0, 0, 0))
        zf.writestr(info, csv_text(hdr, base_rows(20)))
    put("zip_archive.csv", buf.getvalue())
    put("empty.csv", b"")
    put("whitespace_only.csv", " \n\t\n   \r\n\n")

    # --- sequences ------------------------------------------------------------------------
    rows = base_rows(21)
    for r in rows:
        s = r[1].lower()
        r[1] = " ".join(s[i:i + 10] for i in range(0, len(s), 10))  # 'mkvl... qwer...' blocks
    put("lowercase_spaces.csv", csv_text(hdr, rows))
    rng = random.Random(22)
    rows = [[f"dna{i}", "".join(rng.choice("ACGT") for _ in range(rng.randint(60, 300))), str(i % 2)]
            for i in range(N)]
    put("dna_as_protein.csv", csv_text(hdr, rows))
    rows = base_rows(23)
    rows[12][1] = rows[12][1][:7] + "3" + rows[12][1][8:]  # line 14, position 8
    put("invalid_digit.csv", csv_text(hdr, rows))
    rows = base_rows(24)
    rows[4][1] = rows[4][1][:19] + "#" + rows[4][1][20:]  # line 6, position 20
    put("invalid_hash.csv", csv_text(hdr, rows))
    rows = base_rows(25)
    rows[8][1] = rows[8][1][:4] + "Ａ" + rows[8][1][5:]  # full-width A (U+FF21), line 10
    put("fullwidth_letter.csv", csv_text(hdr, rows))
    rows = base_rows(26)
    for i, odd in enumerate("BZUOX"):
        rows[2 * i][1] = rows[2 * i][1][:10] + odd + rows[2 * i][1][11:]
    put("nonstandard_residues.csv", csv_text(hdr, rows))
    put("nonstandard_residues_reject.csv", csv_text(hdr, rows))
    rows = base_rows(27)
    for r in rows:
        r[1] += "*"
    put("stop_codon.csv", csv_text(hdr, rows))
    rows = base_rows(28)
    rows[5][1] = rows[11][1] = ""
    rows[17][1] = "   "
    put("empty_sequences.csv", csv_text(hdr, rows))
    rows = base_rows(29)
    rows += [list(rows[3]), list(rows[8]), list(rows[8])]
    put("exact_duplicates.csv", csv_text(hdr, rows))
    rows = base_rows(30)
    rows.append([rows[0][0] + "_again", rows[0][1], "1"])  # row 0 has label 0
    put("conflicting_labels.csv", csv_text(hdr, rows))
    put("too_few_rows.csv", csv_text(hdr, base_rows(31, n=8)))
    put("no_sequence_column.csv", csv_text(["id", "label"], [[r[0], r[2]] for r in base_rows(32)]))
    # the header says id,sequence,label but the values are id,label,sequence
    put("swapped_columns.csv", csv_text(hdr, [[a, c, b] for a, b, c in base_rows(60)]))
    put("no_label_column.csv", csv_text(["id", "sequence"], [r[:2] for r in base_rows(33)]))

    # fixed-length peptides: columns as long as every sequence must not be taken for per-residue labels
    rng = random.Random(48)
    peptides = ["".join(rng.choice(AA) for _ in range(9)) for _ in range(40)]
    put("peptides_same_length_ids.csv",
        csv_text(hdr, [[f"pep_{i:05d}", p, str(i % 2)] for i, p in enumerate(peptides)]))
    put("peptides_numeric_value.csv",
        csv_text(["sequence", "value"], [[p, f"{rng.random():.7f}"] for p in peptides]))

    # --- labels ---------------------------------------------------------------------------
    rows = base_rows(34)
    rows[5][2] = "NaN"  # line 7
    put("nan_label.csv", csv_text(hdr, rows))
    rng = random.Random(35)
    rows = [[r[0], r[1], f"{rng.uniform(-3, 3):.3f}"] for r in base_rows(35)]
    rows[9][2] = "inf"  # line 11
    put("inf_label.csv", csv_text(["id", "sequence", "value"], rows))
    rng = random.Random(49)
    rows = [[r[0], r[1], f"{rng.uniform(-3, 3):.3f}"] for r in base_rows(49)]
    rows[12][2] = "1e300"  # line 14: finite as float64, inf as float32
    put("huge_regression_value.csv", csv_text(["id", "sequence", "value"], rows))
    rows = base_rows(36)
    rows[4][2] = rows[13][2] = ""  # lines 6 and 15
    put("empty_labels.csv", csv_text(hdr, rows))
    put("single_class.csv", csv_text(hdr, [[r[0], r[1], "1"] for r in base_rows(37)]))
    put("too_many_classes.csv", csv_text(hdr, [[r[0], r[1], f"family_{i}"] for i, r in enumerate(base_rows(38))]))
    rng = random.Random(39)
    rows = [[r[0], r[1], f"{rng.uniform(0, 1):.3f}"] for r in base_rows(39)]
    rows[6][2], rows[20][2] = "soluble", "see notes"  # lines 8 and 22
    put("text_in_numeric_label.csv", csv_text(["id", "sequence", "solubility"], rows))
    put("regression_text_labels.csv",
        csv_text(hdr, [[r[0], r[1], "soluble" if r[2] == "1" else "insoluble"] for r in base_rows(40)]))
    rows = base_rows(41)
    rows[1][0] = '=HYPERLINK("http://example.com/x","click me")'
    rows[2][0] = "=1+2"
    rows[3][0] = "@SUM(A1:A2)"
    put("formula_cell.csv", csv_text(hdr, [[quote(r[0]) if "," in r[0] or '"' in r[0] else r[0], r[1], r[2]]
                                           for r in rows]))
    rows = base_rows(42)
    splits = ["train", "valid", "test"]
    rows = [r + [splits[i % 3]] for i, r in enumerate(rows)]
    rows[14][3] = "foo"  # line 16
    put("unknown_split_value.csv", csv_text(hdr + ["split"], rows))
    put("unknown_column_override.csv", csv_text(hdr, base_rows(43)))

    # --- per-residue labels and masks -------------------------------------------------------
    def residue_rows(seed: int) -> list[list[str]]:
        rng = random.Random(seed)
        out = []
        for pid, seq, _ in base_rows(seed, low=30, high=120):
            ss = "".join(rng.choice("HEC") for _ in seq)
            mask = "".join("0" if j < 2 or j >= len(seq) - 2 else "1" for j in range(len(seq)))
            out.append([pid, seq, ss, mask])
        return out

    rhdr = ["id", "sequence", "ss3", "eval_mask"]
    put("residue_ok.csv", csv_text(rhdr, residue_rows(44)))
    rows = residue_rows(45)
    rows[9][2] = rows[9][2][:-3]  # line 11: 3 labels short
    put("residue_length_mismatch.csv", csv_text(rhdr, rows))
    rows = residue_rows(46)
    rows[9][3] = rows[9][3][:5] + "2" + rows[9][3][6:]  # line 11
    put("residue_bad_mask.csv", csv_text(rhdr, rows))
    rows = residue_rows(47)
    rows[7][3] = rows[7][3][:-1]  # line 9: mask one short
    put("residue_mask_length_mismatch.csv", csv_text(rhdr, rows))

    # --- FASTA ----------------------------------------------------------------------------
    def fasta(records, header) -> str:
        out = []
        for pid, seq, lab in records:
            out.append(header(pid, lab))
            out += [seq[i:i + 60] for i in range(0, len(seq), 60)]
        return "\n".join(out) + "\n"

    put("fasta_label_eq.fasta", fasta(base_rows(50), lambda p, lab: f">{p} label={lab} OS=Homo sapiens"))
    put("fasta_label_pipe.fasta", fasta(base_rows(51), lambda p, lab: f">{p}|{lab}"))
    put("fasta_text_before.fasta", "Exported from MyTool v2\n\n" + fasta(base_rows(52), lambda p, lab: f">{p}|{lab}"))
    put("fasta_no_header.fasta", "\n".join(r[1] for r in base_rows(53)) + "\n")
    text = fasta(base_rows(54), lambda p, lab: f">{p}|{lab}").split("\n")
    first = next(i for i, ln in enumerate(text) if i > 20 and ln.startswith(">"))
    text[first] = ">"
    put("fasta_empty_header.fasta", "\n".join(text))
    rows = base_rows(55)
    put("fasta_nolabels.fasta", fasta(rows, lambda p, lab: f">{p} some description"))
    put("fasta_nolabels_labels.csv", csv_text(["id", "label"], [[r[0], r[2]] for r in reversed(rows)]))
    rows = base_rows(56)
    put("fasta_missing_ids.fasta", fasta(rows, lambda p, lab: f">{p}"))
    put("fasta_missing_ids_labels.csv", csv_text(["id", "label"], [[r[0], r[2]] for r in rows[:-3]]))
    rows = base_rows(57)
    put("fasta_uniprot.fasta", fasta(rows, lambda p, lab: f">sp|Q{p[1:]}|NAME{p[-2:]}_HUMAN Some protein OS=Homo sapiens OX=9606"))
    put("fasta_uniprot_labels.csv", csv_text(["accession", "label"], [[f"Q{r[0][1:]}", r[2]] for r in rows]))
    rows = base_rows(58)
    put("fasta_lowercase_crlf.fasta", fasta([[r[0], r[1].lower(), r[2]] for r in rows],
                                            lambda p, lab: f">{p} label={lab}").replace("\n", "\r\n"))
    return files


def main() -> None:
    for name, data in build().items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(build())} files to {HERE}")


if __name__ == "__main__":
    main()
