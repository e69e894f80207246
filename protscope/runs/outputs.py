"""What a finished run leaves in the run store besides its epochs: its validation and test predictions
(with the ids and sequences they belong to), its fine-grained curves and what it learned (first-layer
filters and learned space per epoch), so that any stored run can be evaluated after a restart, whichever
process trained it.

Predictions are kept as one compressed .npz per split (no pickled objects: loaded with
allow_pickle=False); the curves (per-batch training loss, mid-epoch validations) and the layer statistics
(docs/INTERNALS.md) as JSON; what it learned as one .npz of float16 arrays (docs/INTERNALS.md).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from protscope.train.inference import Predictions
from protscope.train.learned import LearnedSeries

PREDICTIONS = "predictions"
CURVES = "curves"
INTERNALS = "internals"  # layer statistics (docs/INTERNALS.md)
LEARNED = "learned"  # first-layer filters and learned space per epoch (docs/INTERNALS.md)


@dataclass(frozen=True)
class StoredPredictions:
    """One split's predictions; `ids` and `sequences` are aligned with `predictions.rows`."""

    predictions: Predictions  # rows are 0..P-1: positions in ids/sequences
    ids: np.ndarray  # (P,) str
    sequences: tuple[str, ...]


def predictions_bytes(preds: Predictions, ids, sequences) -> bytes:
    """`preds` of dataset rows `preds.rows`, with those rows' ids and sequences, as .npz bytes."""
    rows = np.asarray(preds.rows, dtype=np.int64)
    arrays = {"outputs": np.asarray(preds.outputs, dtype=np.float32),
              "ids": np.asarray([str(ids[r]) for r in rows], dtype=str),
              "sequences": np.asarray([sequences[r] for r in rows], dtype=str),
              "loss": np.float64(preds.loss)}
    if preds.y_true is not None:
        arrays["y_true"] = np.asarray(preds.y_true)
    if preds.protein is not None:  # per-residue: which protein and position each prediction is
        arrays["protein"] = np.asarray(preds.protein, dtype=np.int32)
        arrays["position"] = np.asarray(preds.position, dtype=np.int32)
    out = io.BytesIO()
    np.savez_compressed(out, **arrays)
    return out.getvalue()


def predictions_from_bytes(data: bytes, split: str) -> StoredPredictions:
    with np.load(io.BytesIO(data), allow_pickle=False) as f:
        arrays = {name: f[name] for name in f.files}
    ids = arrays["ids"]
    preds = Predictions(split=split, rows=np.arange(len(ids)), outputs=arrays["outputs"],
                        y_true=arrays.get("y_true"), protein=arrays.get("protein"), position=arrays.get("position"),
                        loss=float(arrays["loss"]))
    return StoredPredictions(preds, ids, tuple(str(s) for s in arrays["sequences"]))


def save_outputs(store, run_id: str, result, snapshot, data) -> None:
    """Store a run's predictions (if it made any) and its curves. `result` is a RunResult (or None for a
    run that failed before it had one), `snapshot` the trainer's last Snapshot."""
    if result is not None:
        for split, preds in result.predictions.items():
            store.save_artifact(run_id, split, PREDICTIONS, predictions_bytes(preds, data.ids, data.sequences))
    store.save_artifact(run_id, "", CURVES, curves_of(snapshot))
    save_internals(store, run_id, snapshot)
    save_learned(store, run_id, snapshot)


def save_internals(store, run_id: str, snapshot) -> None:
    """The layer statistics so far (written at each epoch's end as well, so a restart keeps them)."""
    if snapshot.layer_records:
        store.save_artifact(run_id, "", INTERNALS, snapshot.internals())


def load_internals(store, run_id: str) -> dict:
    return store.artifact(run_id, "", INTERNALS) or {"layers": [], "records": []}


def curves_of(snapshot) -> dict:
    return {"batch_losses": [list(p) for p in snapshot.batch_losses],
            "validations": [[v.position, v.val_loss] for v in snapshot.validations]}


def load_predictions(store, run_id: str, split: str) -> StoredPredictions | None:
    data = store.artifact(run_id, split, PREDICTIONS)
    return predictions_from_bytes(data, split) if isinstance(data, bytes) else None


def load_curves(store, run_id: str) -> dict:
    return store.artifact(run_id, "", CURVES) or {"batch_losses": [], "validations": []}


# --- what the run learned: per-epoch arrays, one .npz ------------------------------------------------

def learned_bytes(snapshot) -> bytes | None:
    """The snapshot's learned records (protscope.train.learned) as .npz bytes, or None when there are none:
    every per-epoch array stacked on a first axis of epochs, the points' arrays once."""
    records = snapshot.learned_records
    if not records:
        return None
    arrays = {"epochs": np.asarray([r["epoch"] for r in records], dtype=np.int32),
              "kind": np.asarray(records[-1]["kind"]), **(snapshot.learned_points or {})}
    for name in ("features", "filters", "letters"):
        if records[-1].get(name) is not None:
            arrays[name] = np.stack([r[name] for r in records])
    out = io.BytesIO()
    np.savez(out, **arrays)  # float16 features hardly compress: not worth the time at every epoch
    return out.getvalue()


def learned_from_bytes(data: bytes) -> LearnedSeries:
    with np.load(io.BytesIO(data), allow_pickle=False) as f:
        a = {name: f[name] for name in f.files}
    return LearnedSeries(epochs=a["epochs"], features=a.get("features"), filters=a.get("filters"),
                         letters=a.get("letters"), kind=str(a["kind"]), ids=a["ids"], position=a.get("position"),
                         residues=a.get("residues"), labels=a.get("labels"))


def save_learned(store, run_id: str, snapshot) -> None:
    """What the run learned so far (written at each epoch's end as well, so a restart keeps it)."""
    data = learned_bytes(snapshot)
    if data is not None:
        store.save_artifact(run_id, "", LEARNED, data)


def load_learned(store, run_id: str) -> LearnedSeries | None:
    data = store.artifact(run_id, "", LEARNED)
    return learned_from_bytes(data) if isinstance(data, bytes) else None
