"""`python -m protscope runs export`: recorded runs as CSV + JSON, or as TensorBoard event files.

The event files are written by hand (TFRecord framing, CRC32C and a few protobuf fields) so that
exporting for TensorBoard needs no TensorBoard or TensorFlow install; only the reader needs them.
"""
from __future__ import annotations

import json
import math
import struct
import time
from pathlib import Path

from protscope.errors import ProtScopeError
from protscope.runs.outputs import load_internals
from protscope.runs.store import RunStore
from protscope.serialise import clean_json, csv_text

FORMATS = ("tensorboard", "csv")
EVENT_SUFFIX = ".protscope"


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1  # reflected Castagnoli polynomial
        table.append(crc)
    return table


CRC32C_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum TFRecord uses; zlib.crc32 is a different polynomial."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    """TFRecord stores CRCs masked, so a CRC of data that itself holds CRCs does not look valid."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data: bytes) -> bytes:
    """One TFRecord frame: length, its masked CRC, the data, the data's masked CRC."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc(length)) + data + struct.pack("<I", masked_crc(data))


# --- protobuf wire format: just the Event, Summary and Summary.Value fields TensorBoard reads ---------
def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        bits, value = value & 0x7F, value >> 7
        out.append(bits | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


def _length_delimited(field: int, payload: bytes) -> bytes:
    return _key(field, 2) + _varint(len(payload)) + payload


def _float32(value: float) -> bytes:
    try:
        return struct.pack("<f", value)
    except OverflowError:  # finite in float64 but too large for float32: TensorBoard shows it as infinite
        return struct.pack("<f", math.copysign(math.inf, value))


def scalar_value(tag: str, value: float) -> bytes:
    """A Summary.Value: tag (field 1) and simple_value (field 2, a 32-bit float)."""
    return _length_delimited(1, tag.encode()) + _key(2, 5) + _float32(value)


def event(wall_time: float, step: int | None = None, file_version: str | None = None,
          values: list[bytes] | None = None) -> bytes:
    """An Event: wall_time (1), step (2), file_version (3) and a Summary (5) of the given Values."""
    out = _key(1, 1) + struct.pack("<d", wall_time)
    if step is not None:
        out += _key(2, 0) + _varint(step & 0xFFFFFFFFFFFFFFFF)  # int64 varints are two's complement
    if file_version is not None:
        out += _length_delimited(3, file_version.encode())
    if values:
        out += _length_delimited(5, b"".join(_length_delimited(1, v) for v in values))
    return out


def _double(field: int, value: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", value)


def histogram_value(tag: str, lo: float, hi: float, counts: list[int]) -> bytes:
    """A Summary.Value (field 5: HistogramProto) of equal bins from lo to hi. TensorBoard reads bucket[i] as
    the values up to bucket_limit[i]; sum and sum_squares are taken from the bin centres."""
    width = (hi - lo) / len(counts)
    centres = [lo + (i + 0.5) * width for i in range(len(counts))]
    limits = [lo + (i + 1) * width for i in range(len(counts))]
    proto = (_double(1, lo) + _double(2, hi) + _double(3, float(sum(counts)))
             + _double(4, sum(c * x for c, x in zip(counts, centres)))
             + _double(5, sum(c * x * x for c, x in zip(counts, centres)))
             + _length_delimited(6, struct.pack(f"<{len(limits)}d", *limits))
             + _length_delimited(7, struct.pack(f"<{len(counts)}d", *map(float, counts))))
    return _length_delimited(1, tag.encode()) + _length_delimited(5, proto)


LAYER_HISTOGRAMS = {"w_hist": "weights", "g_hist": "gradients", "a_hist": "activations"}
LAYER_SCALARS = {"ratio": "update_ratio", "dead": "dead", "saturated": "saturated"}


def layer_events(started: float, history: list[dict], internals: dict) -> bytes:
    """One event per layer statistics record (docs/INTERNALS.md) at its optimizer step: histograms
    weights/<layer>, gradients/<layer>, activations/<layer> and scalars update_ratio/<layer>, dead/<layer>,
    saturated/<layer>. Wall times are placed along the epochs' durations."""
    ends, total = [], 0.0
    for row in history:
        seconds = row.get("seconds")
        total += seconds if isinstance(seconds, (int, float)) and math.isfinite(seconds) else 0.0
        ends.append(total)
    out = b""
    for record in internals.get("records") or []:
        position = record.get("epoch") or 0.0
        done = int(position)
        before = ends[done - 1] if 0 < done <= len(ends) else 0.0
        span = (ends[done] - before) if done < len(ends) else 0.0
        values = []
        for layer, stats in record["layers"].items():
            for key, group in LAYER_HISTOGRAMS.items():
                h = stats.get(key)
                if h and h.get("lo") is not None and sum(h["counts"]):
                    hi = h["hi"] if h["hi"] > h["lo"] else h["lo"] + 1e-12
                    values.append(histogram_value(f"{group}/{layer}", h["lo"], hi, h["counts"]))
            values += [scalar_value(f"{group}/{layer}", float(stats[key])) for key, group in LAYER_SCALARS.items()
                       if isinstance(stats.get(key), (int, float))]
        out += tfrecord(event(started + before + (position - done) * span, step=int(record["step"]), values=values))
    return out


def tag_name(key: str) -> str:
    """train_loss -> train/loss and val_accuracy -> val/accuracy, so TensorBoard groups them by split."""
    for split in ("train", "val", "test"):
        if key.startswith(split + "_"):
            return f"{split}/{key[len(split) + 1:]}"
    return key


def _scalars(row: dict) -> list[tuple[str, float]]:
    """The row's plottable numbers; NaN, None and text (nothing to plot) are left out."""
    return [(tag_name(k), float(v)) for k, v in row.items()
            if k != "epoch" and isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)]


def event_file_bytes(run: dict, history: list[dict], internals: dict | None = None) -> bytes:
    """The whole event file: the version event, one event per epoch with step = epoch, then the layer
    statistics at their optimizer steps."""
    started = run.get("started") or time.time()
    out = tfrecord(event(started, file_version="brain.Event:2"))
    elapsed = 0.0
    for row in history:
        seconds = row.get("seconds")
        if isinstance(seconds, (int, float)) and math.isfinite(seconds):
            elapsed += seconds  # wall times follow the epochs' own durations, so TensorBoard's time axis is real
        values = [scalar_value(tag, value) for tag, value in _scalars(row)]
        out += tfrecord(event(started + elapsed, step=int(row["epoch"]), values=values))
    return out + layer_events(started, history, internals or {})


def _folder(out: Path, run_id: str) -> Path:
    # An id comes from the user's command line and names a folder: it must not climb out of --out.
    if run_id in ("", ".", "..") or Path(run_id).name != run_id or "\\" in run_id:
        raise ProtScopeError(f"run id '{run_id}' cannot be used as a folder name",
                             fix="export runs by the ids `python -m protscope runs list` shows")
    return out / run_id


def export_runs(store: RunStore, run_ids: list[str], fmt: str, out: str | Path) -> list[Path]:
    """Write each run under `out`/<id>/ in `fmt`; returns the files written."""
    if fmt not in FORMATS:
        raise ProtScopeError(f"unknown export format '{fmt}'", fix="use one of: " + ", ".join(FORMATS))
    out = Path(out)
    # Read every run before writing anything, so one unknown id leaves no half-finished export.
    runs = [(_folder(out, run_id), store.get_run(run_id), store.history(run_id)) for run_id in run_ids]
    written = []
    for folder, run, history in runs:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if fmt == "csv":
                written.append(folder / "history.csv")
                written[-1].write_text(csv_text(history), newline="")
                written.append(folder / "run.json")
                written[-1].write_text(json.dumps(clean_json(run), indent=2))
                continue
            # TensorBoard reads every event file in a folder: an earlier export's file would plot each point twice.
            for stale in folder.glob(f"events.out.tfevents.*{EVENT_SUFFIX}"):
                stale.unlink()
            written.append(folder / f"events.out.tfevents.{int(time.time())}{EVENT_SUFFIX}")
            written[-1].write_bytes(event_file_bytes(run, history, load_internals(store, run["id"])))
        except OSError as exc:
            raise ProtScopeError(f"cannot write the export ({exc})", where=str(folder),
                                 fix="choose a writable folder with --out") from exc
    return written
