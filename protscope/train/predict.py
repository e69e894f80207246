"""Predict new sequences with a trained checkpoint; bad sequences are reported per row, not fatal.

Used by `python -m protscope predict` and the dashboard's Predict page. Each good sequence gets the
predicted class (or value) and the probability of every class; multi-label models give every label's
probability and the set of labels at P >= 0.5 ("membrane;enzyme", or "none"); per-residue models give
one letter per residue. Sequences longer than the model's training width are cut to it, and say so.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from protscope import alphabet
from protscope.data.composition import nucleotide_rows
from protscope.data.dataset import ProteinData
from protscope.data.multilabel import label_text
from protscope.device import resolve_device
from protscope.evaluation.multilabel import THRESHOLD as MULTILABEL_THRESHOLD
from protscope.train.batches import to_device
from protscope.train.checkpoint import load_checkpoint
from protscope.train.inference import predict

NON_STANDARD = set(alphabet.NONSTANDARD)


@dataclass(frozen=True)
class Problem:
    row: int  # 1-based
    id: str
    message: str


def clean_sequence(raw: str) -> tuple[str, str]:
    """(normalised sequence, problem or '') for one pasted or uploaded sequence."""
    seq = "".join(raw.split()).upper()
    if seq.endswith("*"):
        seq = seq[:-1]
    if not seq:
        return "", "empty sequence"
    bad = [(i, c) for i, c in enumerate(seq) if c not in alphabet.ALPHABET and c not in NON_STANDARD]
    if bad:
        i, c = bad[0]
        return "", f"'{c}' at position {i + 1} is not an amino-acid letter ({len(bad)} such characters)"
    raw, lengths = alphabet.raw_bytes([seq])
    if len(seq) >= 10 and nucleotide_rows(raw, lengths)[0]:
        return "", ("looks like DNA/RNA (only nucleotide letters A, C, G, T/U, N and IUPAC codes); "
                    "translate it to protein first")
    return seq, ""


def to_data(ids: list[str], sequences: list[str], width: int) -> tuple[ProteinData, list[Problem], list[str]]:
    """Tokenise the good sequences (cut to `width`); report the bad ones by row."""
    good_ids, good, problems, notes = [], [], [], []
    for row, (pid, raw) in enumerate(zip(ids, sequences), start=1):
        seq, problem = clean_sequence(raw)
        if problem:
            problems.append(Problem(row, pid, problem))
        else:
            good_ids.append(pid)
            good.append(seq)
    long = [pid for pid, s in zip(good_ids, good) if len(s) > width]
    if long:
        notes.append(f"{len(long)} sequences are longer than the {width:,} residues the model was trained on "
                     "and were cut to that length")
    good = [s[:width] for s in good]
    raw, lengths = alphabet.raw_bytes(good)
    codes = alphabet.classify_bytes(raw)
    codes = np.where(codes == 254, alphabet.UNKNOWN, codes).astype(np.uint8)
    tokens = alphabet.pack(codes, lengths, max(int(lengths.max(initial=1)), 1))
    data = ProteinData(name="new sequences", task="", ids=np.asarray(good_ids, dtype=object),
                       sequences=tuple(good), tokens=tokens, lengths=lengths.astype(np.int32))
    return data, problems, notes


def predict_sequences(checkpoint: str, ids: list[str], sequences: list[str], device: str = "cpu"):
    """(result rows, problems, notes) for new sequences, using the model saved in `checkpoint`."""
    torch_device = resolve_device(device)
    model, config, payload = load_checkpoint(checkpoint, torch_device)
    task, classes = config.data.task, payload["classes"]
    data, problems, notes = to_data(ids, sequences, payload["dims"]["seq_len"])
    if not len(data):
        return [], problems, notes
    dd = to_device(data, torch_device, config.encoding)
    out = predict(model, dd, np.arange(len(data)), config.encoding, task, scored_only=False)
    rows = [None] * len(data)
    for k, row in enumerate(out.rows):
        record = {"id": data.ids[row], "sequence": data.sequences[row]}
        if task == "residue":
            residues = out.protein == k
            order = np.argsort(out.position[residues])
            probs = out.outputs[residues][order]
            record["prediction"] = "".join(classes[c] for c in probs.argmax(1))
            record["confidence"] = float(probs.max(1).mean())
        elif task == "regression":
            record["prediction"] = float(out.outputs[k])
        elif task == "multilabel":  # every label at P >= 0.5, ';'-separated as in a label column; none: no label
            record["prediction"] = label_text(out.outputs[k:k + 1] >= MULTILABEL_THRESHOLD, classes)[0]
            record.update({f"p_{c}": float(p) for c, p in zip(classes, out.outputs[k])})
        else:
            record["prediction"] = classes[int(out.outputs[k].argmax())]
            record.update({f"p_{c}": float(p) for c, p in zip(classes, out.outputs[k])})
        rows[row] = record  # back in input order (prediction ran sorted by length)
    return rows, problems, notes



def read_sequences(content: bytes, filename: str) -> tuple[list[str], list[str]]:
    """Ids and raw sequences of a CSV or FASTA for prediction; row problems are judged later."""
    from protscope.data.columns import detect_columns
    from protscope.data.readers import read_bytes

    table = read_bytes(content, filename)
    columns = detect_columns(table)
    seqs = table.values[columns.sequence]
    ids = table.values[columns.id] if columns.id else [f"row{i + 1}" for i in range(len(seqs))]
    return list(ids), list(seqs)


def parse_pasted(text: str) -> tuple[list[str], list[str]]:
    """Pasted FASTA (records starting with '>'), or one sequence per line (ids seq1, seq2...)."""
    text = text.strip()
    if not text:
        return [], []
    if text.startswith(">"):
        return read_sequences(text.encode(), "pasted.fasta")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return [f"seq{i}" for i in range(1, len(lines) + 1)], lines
