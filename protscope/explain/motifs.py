"""Learned motifs of a finished run: a CNN's first-layer filters, or the window network's hidden units.

    motifs = run_motifs(repo, run_id)          # LearnedMotifs (CNN) or WindowUnits (Qian & Sejnowski)
    motifs.motifs[0].pwm                       # (k, 20): the most influential filter's activation PWM

For a CNN each filter comes as (a) its weights on each amino acid at each position, from the checkpoint
and from every recorded epoch (the run's `learned` artifact, for a slider over epochs), and (b) the
position weight matrix of the training windows that activate it (protscope.explain.filters), ordered by
its influence on the validation predictions. When the training data cannot be loaded again the windows
come from the stored validation proteins, and `notes` say so. For the window network (model window_mlp,
or an MLP on the window encoding) each hidden unit's (2w+1) x 21 input weights are the heat maps of
Qian & Sejnowski (1988), with the unit's weights to each output class.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from protscope.alphabet import ALPHABET
from protscope.config.run_config import RunConfig
from protscope.data.builtin import load_data
from protscope.data.splits import make_split
from protscope.device import resolve_device
from protscope.errors import ProtScopeError
from protscope.explain.filters import filter_influence, scan_filters
from protscope.serialise import clean_json
from protscope.train.batches import to_device
from protscope.train.checkpoint import load_checkpoint
from protscope.train.learned import WINDOW_LETTERS, LearnedSeries, evenly, first_layer, per_letter
from protscope.train.predict import to_data

MAX_SCANNED = 5000  # training proteins whose windows make the PWMs, evenly spaced through the split
MAX_INFLUENCE = 200  # validation proteins the influence is measured on (its cost: F forward passes' worth)
SCAN_SHARE = 0.3  # of the progress: the PWMs' two passes; the influence fills the rest


@dataclass(frozen=True)
class Motif:
    """One first-layer filter."""

    filter: int  # its index in the layer
    influence: float  # the mean change of the predictions when it is replaced by its mean (nan: not measured)
    weights: np.ndarray  # (k, 20): its weight on each amino acid at each position, from the checkpoint
    pwm: np.ndarray  # (k, 20): letter frequencies of its activating windows (NaN rows: no letter there)
    sites: int  # windows above its threshold
    threshold: float  # half its largest activation (nan: it never rose above 0)

    @property
    def consensus(self) -> str:
        """The most frequent amino acid at each position of its sites ('-' where it has none)."""
        return "".join("-" if np.isnan(row).all() else ALPHABET[int(np.nanargmax(row))] for row in self.pwm)


@dataclass(frozen=True)
class LearnedMotifs:
    motifs: tuple[Motif, ...]  # most influential first
    background: np.ndarray  # (20,) amino-acid frequencies of the proteins scanned
    checkpoint_epoch: int  # the epoch whose weights the checkpoint holds
    scanned: str  # what the PWMs were counted on, in words
    influence_on: str  # what the influence was measured on, in words
    epochs: np.ndarray  # (E,) recorded epochs (empty when not recorded)
    epoch_weights: np.ndarray | None  # (E, F, k, 20): every filter's weights at each recorded epoch
    notes: tuple[str, ...] = ()
    letters: str = ALPHABET

    def weights_at(self, epoch_index: int | None = None) -> np.ndarray:
        """(F, k, 20) every filter's weights, by filter index: at recorded epoch `epoch_index`, or (None) the
        checkpoint's."""
        if epoch_index is not None:
            return self.epoch_weights[epoch_index]
        return np.stack([m.weights for m in sorted(self.motifs, key=lambda m: m.filter)])

    def to_json(self, top: int = 0) -> dict:
        """The `top` most influential filters (0: all), matrices as rows of positions, 4 digits."""
        shown = self.motifs[:top] if top else self.motifs
        return clean_json({"kind": "cnn", "letters": self.letters, "checkpoint_epoch": self.checkpoint_epoch,
                           "scanned": self.scanned, "influence_on": self.influence_on,
                           "recorded_epochs": self.epochs.tolist(), "background": _rounded(self.background),
                           "notes": list(self.notes), "filters": [
                               {"filter": m.filter, "influence": m.influence, "sites": m.sites,
                                "threshold": m.threshold, "consensus": m.consensus, "weights": _rounded(m.weights),
                                "pwm": _rounded(m.pwm)} for m in shown]})


@dataclass(frozen=True)
class WindowUnits:
    """The window network's first-layer units, as in Qian & Sejnowski's figures."""

    weights: np.ndarray  # (H, 2w+1, 21): unit, window offset, amino acid (ALPHABET, then the spacer '-')
    bias: np.ndarray  # (H,)
    outgoing: np.ndarray | None  # (out, H): each unit's weight to each output; None when the units are the outputs
    classes: tuple[str, ...]
    output_units: bool  # no hidden layer: the units shown are the output units themselves
    checkpoint_epoch: int
    epochs: np.ndarray  # (E,)
    epoch_weights: np.ndarray | None  # (E, H, 2w+1, 21)
    letters: str = WINDOW_LETTERS

    @property
    def offsets(self) -> np.ndarray:
        half = self.weights.shape[1] // 2
        return np.arange(-half, half + 1)

    def to_json(self) -> dict:
        return clean_json({"kind": "window", "letters": self.letters, "offsets": self.offsets.tolist(),
                           "classes": list(self.classes), "output_units": self.output_units,
                           "checkpoint_epoch": self.checkpoint_epoch, "recorded_epochs": self.epochs.tolist(),
                           "units": [{"unit": u, "bias": float(self.bias[u]), "weights": _rounded(self.weights[u]),
                                      "outgoing": None if self.outgoing is None else _rounded(self.outgoing[:, u])}
                                     for u in range(len(self.weights))]})


def run_motifs(repo, run_id: str, data=None, device: str = "cpu",
               progress: Callable[[float], None] | None = None) -> LearnedMotifs | WindowUnits:
    """The learned motifs of stored run `run_id` (`repo` a RunRepository). `data` is the run's ProteinData
    when the caller has it loaded (else it is loaded again from the run's config)."""
    record = repo.run(run_id)
    checkpoint = Path(record.checkpoint) if record.checkpoint else None
    if checkpoint is None or not checkpoint.is_file():
        raise ProtScopeError("this run has no checkpoint, so its filters cannot be read", where=f"run {run_id}",
                             fix="train it to the end (a run that failed or was stopped before its first epoch "
                                 "saves none)")
    learned = repo.learned(run_id)
    config = RunConfig.from_dict(record.config)
    if config.encoding.name == "window" and config.model.name in ("window_mlp", "mlp"):
        return window_units(checkpoint, learned)
    if config.model.name != "cnn":
        raise ProtScopeError(f"learned motifs are read from a CNN's first-layer filters; this run's model is "
                             f"'{config.model.name}'", where=f"run {run_id}",
                             fix="train a CNN (model cnn), or the window network (model window_mlp), to see them")
    val = repo.predictions(run_id, "val")
    val_sequences = list(val.sequences) if val is not None else []
    scan, notes = training_sequences(config, record.row.get("fingerprint", ""), data)
    if scan is None:
        scan = val_sequences
    return cnn_motifs(checkpoint, scan, val_sequences, learned, device, progress,
                      "training" if not notes else "validation", notes)


def training_sequences(config: RunConfig, fingerprint: str, data=None) -> tuple[list[str] | None, tuple[str, ...]]:
    """The run's training proteins (at most MAX_SCANNED, evenly spaced), or None and why not."""
    try:
        data = data if data is not None else load_data(config.data)
        if fingerprint and data.fingerprint() != fingerprint:
            raise ProtScopeError("the data loaded from the run's settings is not the data it trained on (its "
                                 "fingerprint differs): the file has changed")
        rows = np.sort(make_split(data, config.data).index("train"))
    except ProtScopeError as exc:
        return None, (f"The PWMs are counted on the validation proteins, not the training set: {exc}",)
    rows = rows[evenly(len(rows), MAX_SCANNED)]
    return [data.sequences[r] for r in rows], ()


def cnn_motifs(checkpoint: str | Path, scan: list[str], influence: list[str], learned: LearnedSeries | None = None,
               device: str = "cpu", progress: Callable[[float], None] | None = None, scanned_split: str = "training",
               notes: tuple[str, ...] = ()) -> LearnedMotifs:
    """Every first-layer filter of the CNN in `checkpoint`: PWMs from the windows of `scan` (sequences),
    influence on the predictions for `influence` (at most MAX_INFLUENCE, evenly spaced)."""
    torch_device = resolve_device(device)
    model, config, payload = load_checkpoint(checkpoint, torch_device)
    kind, weight, letters = first_layer(model, config.encoding)
    if kind != "conv":
        raise ProtScopeError("this checkpoint's model has no first convolution", where=str(checkpoint),
                             fix="learned motifs are for CNN runs (model cnn)")
    if not scan:
        raise ProtScopeError("there are no proteins to find the filters' sites in", where=str(checkpoint),
                             fix="the run needs its training data or stored validation predictions")
    report = progress or (lambda _fraction: None)
    scan_data, _, _ = to_data([str(i) for i in range(len(scan))], scan, payload["dims"]["seq_len"])
    found = scan_filters(model, to_device(scan_data, torch_device, config.encoding), np.arange(len(scan_data)),
                         config.encoding)
    notes = list(notes)
    report(SCAN_SHARE)
    if influence:
        chosen = [influence[i] for i in evenly(len(influence), MAX_INFLUENCE)]
        val_data, _, _ = to_data([str(i) for i in range(len(chosen))], chosen, payload["dims"]["seq_len"])
        change = filter_influence(model, to_device(val_data, torch_device, config.encoding), np.arange(len(val_data)),
                                  config.encoding, config.data.task, found.mean,
                                  lambda f: report(SCAN_SHARE + (1 - SCAN_SHARE) * f))
        influence_on = f"{len(val_data):,} validation proteins"
    else:
        change, influence_on = np.full(len(found.sites), np.nan), "no proteins"
        notes.append("The run has no stored validation proteins, so the filters are in their order in the layer, "
                     "not by influence.")
    final = per_letter(weight.float().cpu().numpy(), letters.float().cpu().numpy()).transpose(0, 2, 1)  # (F, k, 20)
    pwm = found.pwm()
    motifs = [Motif(f, float(change[f]), final[f], pwm[f], int(found.sites[f]), float(found.threshold[f]))
              for f in range(len(final))]
    motifs.sort(key=lambda m: -m.influence if np.isfinite(m.influence) else 0.0)  # stable: layer order on ties
    epochs, per_epoch = _recorded(learned, "conv")
    if learned is None or per_epoch is None:
        notes.append("The filters were not recorded per epoch for this run (training.learned was off, or it "
                     "predates the recording): only the final weights are shown.")
    return LearnedMotifs(tuple(motifs), found.background, int(payload.get("epoch", 0)),
                         f"{found.proteins:,} {scanned_split} proteins", influence_on, epochs, per_epoch, tuple(notes))


def window_units(checkpoint: str | Path, learned: LearnedSeries | None = None) -> WindowUnits:
    """The window network's first-layer units from `checkpoint`, and per recorded epoch from `learned`."""
    model, config, payload = load_checkpoint(checkpoint, "cpu")
    kind, weight, _ = first_layer(model, config.encoding)
    if kind != "window":
        raise ProtScopeError("this checkpoint is not a window network on per-residue windows", where=str(checkpoint),
                             fix="train model window_mlp with the window encoding on a per-residue task")
    output_units = not len(model.blocks)
    layer = model.head if output_units else model.blocks[0].linear
    outgoing = None if output_units else model.head.weight.detach().float().numpy()
    epochs, per_epoch = _recorded(learned, "window")
    bias = getattr(layer, "bias", None)  # a harmonic output layer has none
    return WindowUnits(weight.float().numpy(), np.zeros(weight.shape[0]) if bias is None else
                       bias.detach().float().numpy(), outgoing, tuple(payload["classes"]), output_units,
                       int(payload.get("epoch", 0)), epochs, per_epoch)


def _rounded(array: np.ndarray) -> list:
    return np.round(np.asarray(array, dtype=np.float64), 4).tolist()


def _recorded(learned: LearnedSeries | None, kind: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(epochs, per-epoch first-layer weights): conv (E, F, k, 20), window (E, H, 2w+1, 21)."""
    if learned is None or learned.kind != kind or learned.filters is None:
        return np.zeros(0, dtype=np.int32), None
    if kind == "window":
        return learned.epochs, learned.filters.astype(np.float32)
    return learned.epochs, np.stack([learned.filters_per_letter(e).transpose(0, 2, 1)
                                     for e in range(len(learned.epochs))])
