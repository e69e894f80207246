"""ProteinData: validated, normalised, tokenised sequences with their labels and published split.

`build_dataset` turns Records (text columns) into ProteinData. It uppercases sequences and strips
whitespace, applies the non-standard residue policy, rejects what cannot be trained on (DNA, bad
labels, mismatched per-residue labels) with a ProtScopeError, and returns recoverable problems
(dropped empty rows, duplicates, truncation) as warnings on the dataset, never printed.
"""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field, replace

import numpy as np

from protscope import alphabet
from protscope.config.sections import DataConfig
from protscope.data.columns import ColumnMap, Records
from protscope.data.kept_rows import dedupe, file_split_codes, limit_lengths, report_conflicts, split_overlap
from protscope.data.labels import class_balance_notes, parse_labels, parse_masks, parse_residue_labels
from protscope.data.multilabel import from_columns, from_lists, looks_like_lists
from protscope.data.resample import keep_for_share
from protscope.data.residue_checks import check_residues
from protscope.errors import Origin, ProtScopeError, list_some

SPLITS = ("train", "val", "test")
MIN_ROWS = 20
# What a stray character usually means, where it has a well-known meaning elsewhere.
CHARACTER_HINTS = {":": ": ':' joins the chains of a complex (ColabFold, AlphaFold-multimer); ProtScope reads one "
                        "chain per row, so give each chain its own row",
                   "/": ": '/' separates chains in some tools; give each chain its own row",
                   "?": ": '?' marks missing data in alignment programs; write X for an unknown residue"}
# Zero-width characters that copy-paste from web pages leaves inside sequences.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


@dataclass(frozen=True, eq=False)
class ProteinData:
    """Sequences as uint8 tokens (N, L) padded with 0, with lengths, labels and provenance."""

    name: str
    task: str
    ids: np.ndarray  # (N,) str
    sequences: tuple[str, ...]  # normalised, cut to max_length
    tokens: np.ndarray  # (N, L) uint8
    lengths: np.ndarray  # (N,) int32
    classes: tuple[str, ...] = ()
    y: np.ndarray | None = None  # (N,) int64 class index or float32 value; multilabel: (N, L) float32 0/1
    residue_y: np.ndarray | None = None  # (N, L) uint8 class index (0 where not scored)
    residue_mask: np.ndarray | None = None  # (N, L) bool: residues that count in loss and metrics
    file_split: np.ndarray | None = None  # (N,) int8: 0 train, 1 val, 2 test
    sources: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))  # (N,)
    lines: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))  # (N,)
    rows: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))  # (N,)
    columns: ColumnMap | None = None
    warnings: tuple[str, ...] = ()
    label_values: tuple[str, ...] = ()  # the label of each class as written in the file, when `classes` names them

    def label_of(self, i: int) -> str:
        """Class i's label as the file writes it (e.g. "1" for eSOL's "soluble")."""
        return self.label_values[i] if self.label_values else self.classes[i]

    def named(self, names: dict[str, str]) -> ProteinData:
        """The same data with its classes given names, e.g. {"0": "insoluble", "1": "soluble"}."""
        if not names or not self.classes:
            return self
        return replace(self, classes=tuple(names.get(c, c) for c in self.classes), label_values=self.classes)

    def __post_init__(self):
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def width(self) -> int:
        return self.tokens.shape[1]

    @property
    def mask(self) -> np.ndarray:
        """(N, L) bool: True at real residues, False at padding."""
        return np.arange(self.width) < self.lengths[:, None]

    @property
    def has_labels(self) -> bool:
        return self.y is not None or self.residue_y is not None

    def origin(self, i: int) -> Origin:
        return Origin(str(self.sources[i]), int(self.lines[i]), int(self.rows[i]))

    def subset(self, index: np.ndarray) -> ProteinData:
        index = np.asarray(index)
        take = lambda a: None if a is None else a[index]  # noqa: E731
        seqs = tuple(self.sequences[i] for i in np.arange(len(self))[index])
        width = int(self.lengths[index].max(initial=0))
        cut = lambda a: None if a is None else a[index, :width]  # noqa: E731
        return replace(self, ids=self.ids[index], sequences=seqs, tokens=cut(self.tokens),
                       lengths=self.lengths[index], y=take(self.y), residue_y=cut(self.residue_y),
                       residue_mask=cut(self.residue_mask), file_split=take(self.file_split),
                       sources=self.sources[index], lines=self.lines[index], rows=self.rows[index])

    def fingerprint(self) -> str:
        """A short hash of tokens and labels: the same data gives the same fingerprint.

        Kept after the first call (the arrays are read-only): the dashboard keys its cached split on it
        at every rerun, and hashing a 100k-protein upload's tokens takes 0.3 s.
        """
        if "_fingerprint" not in self.__dict__:
            h = hashlib.sha256()
            for part in (self.tokens, self.lengths, self.y, self.residue_y, self.residue_mask):
                if part is not None:
                    h.update(np.ascontiguousarray(part).tobytes())
            h.update(repr((self.task, self.classes)).encode())
            object.__setattr__(self, "_fingerprint", h.hexdigest()[:16])  # frozen: set as __init__ does
        return self.__dict__["_fingerprint"]


def build_dataset(records: Records, cfg: DataConfig, name: str = "",
                  split_values: dict[str, str] | None = None, notes=(), require_labels=True) -> ProteinData:
    n = len(records.sequences)
    if n == 0:
        raise ProtScopeError("there are no records", where=name, fix="add one row per protein")
    if n > cfg.max_rows:
        raise ProtScopeError(f"{n:,} rows is more than the limit of {cfg.max_rows:,}", where=name,
                             fix="use a subset, or raise max_rows")
    warnings = list(notes)
    where = _locator(records)
    seqs = _normalise(records.sequences, where, strip_stop=records.residue_labels is None)
    keep = _drop_empty(seqs, records, warnings)
    raw, lengths = alphabet.raw_bytes(seqs)
    check_residues(raw, lengths, keep, where, warnings)  # first: DNA with a stray '?' is DNA
    codes = _apply_alphabet(raw, lengths, cfg, where, warnings)

    task, classes, y, label_notes = _labels(records, cfg, where, require_labels)
    warnings += label_notes
    if y is not None and task not in ("regression", "multilabel"):  # multi-label notes come with its labels
        warnings += class_balance_notes(classes, y)
    warnings += _formula_cells(records)
    residue = records.residue_labels is not None and require_labels
    if residue:
        _check_residue_lengths(seqs, records, where, keep)
    keep &= dedupe(seqs, records, keep, warnings)
    keep &= limit_lengths(lengths, cfg, where, warnings, keep)
    file_split = file_split_codes(records, split_values or {}, where)
    if file_split is not None:
        keep &= file_split >= 0
        keep &= split_overlap(seqs, file_split, keep, cfg.drop_split_overlap, warnings)

    if cfg.positive_share is not None:
        keep &= keep_for_share(task, classes, y, keep, cfg.positive_share, cfg.split_seed, warnings)
    index = np.flatnonzero(keep)
    report_conflicts(seqs, records, index, warnings)
    if require_labels and index.size < MIN_ROWS:
        raise ProtScopeError(f"only {index.size:,} usable rows remain; ProtScope needs at least "
                             f"{MIN_ROWS} to train, validate and test", where=name,
                             fix="add more proteins")
    width = int(min(lengths[index].max(initial=1), cfg.max_length))
    cut = [s[:width] for s in (seqs[i] for i in index)]
    kept_lengths = np.minimum(lengths[index], width)
    tokens = alphabet.pack(_cut_codes(codes, lengths, index, width), kept_lengths, width)
    residue_y = residue_mask = None
    if residue:
        classes, residue_y, residue_mask = _residue_arrays(records, index, width, kept_lengths, where)
    return ProteinData(
        name=name, task="residue" if residue else task, ids=np.asarray(records.ids, dtype=object)[index],
        sequences=tuple(cut), tokens=tokens, lengths=kept_lengths.astype(np.int32), classes=classes,
        y=None if residue or y is None else y[index], residue_y=residue_y, residue_mask=residue_mask,
        file_split=None if file_split is None else file_split[index],
        sources=np.asarray(records.sources, dtype=object)[index], lines=records.lines[index],
        rows=records.rows[index], columns=records.columns, warnings=tuple(warnings))


# --- steps ----------------------------------------------------------------------------------------

def _locator(records: Records):
    def where(i: int, column: str = "") -> str:
        return Origin(records.sources[i], int(records.lines[i]), int(records.rows[i])).describe(
            column, records.ids[i])
    return where


def _normalise(sequences: list[str], where, strip_stop: bool) -> list[str]:
    joined = "".join(sequences)
    if joined.isascii() and joined.isalpha() and joined.isupper():
        return list(sequences)  # already clean: the common case, done in one pass
    seqs = ["".join(s.translate(_INVISIBLE).split()).upper() for s in sequences]
    if strip_stop:
        seqs = [s[:-1] if s.endswith("*") else s for s in seqs]
    if not "".join(seqs).isascii():
        i = next(i for i, s in enumerate(seqs) if not s.isascii())
        pos, char = next((p, c) for p, c in enumerate(seqs[i]) if not c.isascii())
        name = unicodedata.name(char, f"U+{ord(char):04X}")
        raise ProtScopeError(f"position {pos + 1} is '{char}' ({name}), not an amino-acid letter",
                             where=where(i, "sequence"), fix="use one-letter amino-acid codes only")
    return seqs


def _formula_cells(records: Records) -> list[str]:
    """Warn about spreadsheet formulas (=..., @...) in text cells: kept as text, never evaluated."""
    cells = [(col, v) for col, values in (("id", records.ids), ("label", records.labels or []))
             for v in values if v[:1] in ("=", "@") or (v[:1] in "+-" and v[1:2].isalpha())]
    if not cells:
        return []
    return [f"{len(cells):,} cells look like spreadsheet formulas (e.g. {cells[0][0]} '{cells[0][1][:30]}'); "
            "they are kept as plain text"]


def _drop_empty(seqs: list[str], records: Records, warnings: list[str]) -> np.ndarray:
    keep = np.fromiter((len(s) > 0 for s in seqs), dtype=bool, count=len(seqs))
    empty = np.flatnonzero(~keep)
    if empty.size:
        warnings.append(f"{empty.size:,} rows with an empty sequence were dropped "
                        f"(rows {list_some(records.rows[empty].tolist())})")
    return keep


def _labels(records: Records, cfg: DataConfig, where, require_labels: bool):
    if records.residue_labels is not None:
        if cfg.task not in ("auto", "residue"):
            raise ProtScopeError(f"the data has per-residue labels but task is '{cfg.task}'",
                                 fix="choose task 'residue', or clear the per-residue label column")
        return "residue", (), None, ()
    if records.label_columns is not None:
        parsed = from_columns(records.label_columns, where)
        return parsed.task, parsed.classes, parsed.y, parsed.notes
    if records.labels is None:
        if require_labels:
            raise ProtScopeError("no label column was found", where=records.sources[0],
                                 fix="name it 'label' (or 'value' for regression), or choose it; for several 0/1 "
                                     "label columns, name them with label_cols")
        return cfg.task if cfg.task != "auto" else "", (), None, ()
    if cfg.task == "residue":
        raise ProtScopeError("task 'residue' needs a per-residue label column", where=records.sources[0],
                             fix="choose the column of per-residue labels (one letter per residue)")
    at = lambda i: where(i, records.columns.label)  # noqa: E731
    if cfg.task == "multilabel" or (cfg.task == "auto" and looks_like_lists(records.labels)):
        parsed = from_lists(records.labels, at, records.columns.label, detected=cfg.task == "auto")
    else:
        parsed = parse_labels(records.labels, cfg.task, cfg.binarize_at, at)
    return parsed.task, parsed.classes, parsed.y, parsed.notes


def _check_residue_lengths(seqs, records: Records, where, keep) -> None:
    for values, column in ((records.residue_labels, records.columns.residue_label),
                           (records.masks, records.columns.mask)):
        if values is None:
            continue
        for i in np.flatnonzero(keep):
            if len(values[i]) != len(seqs[i]):
                raise ProtScopeError(f"{len(values[i]):,} per-residue values for a sequence of "
                                     f"{len(seqs[i]):,} residues", where=where(i, column),
                                     fix="give exactly one label character per residue")


def _apply_alphabet(raw, lengths, cfg: DataConfig, where, warnings) -> np.ndarray:
    codes = alphabet.classify_bytes(raw)
    bad = np.flatnonzero(codes == 255)
    if bad.size:
        rows, pos = alphabet.row_of_position(lengths, bad[:1])
        char = chr(raw[bad[0]])
        raise ProtScopeError(f"'{char}' at position {pos[0] + 1} is not an amino-acid "
                             f"letter ({bad.size:,} such characters in the file){CHARACTER_HINTS.get(char, '')}",
                             where=where(int(rows[0]), "sequence"),
                             fix="use one-letter codes; write X for an unknown residue")
    odd = np.flatnonzero(codes == 254)
    if odd.size:
        letters, counts = np.unique(raw[odd], return_counts=True)
        summary = ", ".join(f"{chr(c)} {n:,}" for c, n in zip(letters, counts))
        if cfg.unknown_residues == "reject":
            rows, pos = alphabet.row_of_position(lengths, odd[:1])
            raise ProtScopeError(f"non-standard residue '{chr(raw[odd[0]])}' at position {pos[0] + 1} "
                                 f"({summary} in the file)", where=where(int(rows[0]), "sequence"),
                                 fix="set unknown_residues to 'map' to read them as X, or clean the sequences")
        codes = np.where(codes == 254, alphabet.UNKNOWN, codes).astype(np.uint8)
        warnings.append(f"{odd.size:,} non-standard residues ({summary}) were read as unknown (X): letters such "
                        "as B, Z or U stand for ambiguous or rare amino acids, so the model sees them as 'some "
                        "amino acid' rather than guessing")
    return codes


def _cut_codes(codes, lengths, index, width) -> np.ndarray:
    """Concatenated codes of the kept rows, each cut to `width`."""
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    if np.array_equal(index, np.arange(len(lengths))) and lengths.max(initial=0) <= width:
        return codes
    cut = np.minimum(lengths[index], width)
    # Mark [start, start + cut) of each kept row with a +1/-1 difference array and a cumsum.
    marks = np.zeros(codes.size + 1, dtype=np.int64)
    np.add.at(marks, starts[index], 1)
    np.add.at(marks, starts[index] + cut, -1)
    keep = np.cumsum(marks[:-1]) > 0
    return codes[keep]


def _residue_arrays(records: Records, index, width, lengths, where):
    labels = [records.residue_labels[i][:width] for i in index]
    classes, codes = parse_residue_labels(labels)
    residue_y = alphabet.pack(codes, lengths, width)
    if records.masks is not None:
        masks = [records.masks[i][:width] for i in index]
        flat = parse_masks(masks, lambda r: where(int(index[r]), records.columns.mask))
        residue_mask = alphabet.pack(flat.astype(np.uint8), lengths, width).astype(bool)
    else:
        residue_mask = np.arange(width) < lengths[:, None]
    return classes, residue_y, residue_mask
