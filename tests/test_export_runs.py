"""`runs export`: CSV + JSON, and TensorBoard event files checked by an independent reader."""
import csv
import io
import json
import math
import struct

import pytest

from protscope.cli.main import main
from protscope.errors import ProtScopeError
from protscope.runs.archive import crc32c, export_runs, masked_crc
from protscope.runs.store import open_store

ROWS = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.5 / e, "lr": 0.001 * e, "grad_norm": 2.0 + e,
         "seconds": 0.5, "val_accuracy": 0.5 + e / 10} for e in (1, 2, 3)]
TAGS = {"train_loss": "train/loss", "val_loss": "val/loss", "lr": "lr", "grad_norm": "grad_norm",
        "seconds": "seconds", "val_accuracy": "val/accuracy"}


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path / "runs.db")
    store.create_run("r1", "baseline", {"model": {"name": "cnn"}}, "esol", "fp", "regression", None, started=1000.0)
    for row in ROWS:
        store.add_epoch("r1", row)
    store.add_epoch("r1", {"epoch": 4, "train_loss": float("nan"), "val_loss": None, "note": "=HYPERLINK()"})
    store.finish_run("r1", "completed", "done", best_epoch=3, metrics={"test": {"rmse": 0.7}})
    return store


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return value, pos


def read_fields(data: bytes) -> list[tuple[int, object]]:
    """(field number, value) pairs of one protobuf message: ints, fixed bytes or nested bytes."""
    fields, pos = [], 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            assert wire == 2, f"unexpected wire type {wire}"
            size, pos = read_varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
        fields.append((field, value))
    assert pos == len(data)
    return fields


def read_events(data: bytes) -> list[dict]:
    """Parse TFRecord frames (checking both CRCs) and decode each Event."""
    events, pos = [], 0
    while pos < len(data):
        length_bytes = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", length_bytes)
        assert struct.unpack("<I", data[pos + 8:pos + 12])[0] == masked_crc(length_bytes)
        payload = data[pos + 12:pos + 12 + length]
        assert struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])[0] == masked_crc(payload)
        pos += 16 + length
        event = {"values": {}}
        for field, value in read_fields(payload):
            if field == 1:
                event["wall_time"] = struct.unpack("<d", value)[0]
            elif field == 2:
                event["step"] = value
            elif field == 3:
                event["file_version"] = value.decode()
            elif field == 5:
                for _, item in read_fields(value):
                    parts = dict(read_fields(item))
                    event["values"][parts[1].decode()] = struct.unpack("<f", parts[2])[0]
        events.append(event)
    assert pos == len(data)
    return events


def test_crc32c_known_vector():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0


def test_csv_export(store, tmp_path):
    written = export_runs(store, ["r1"], "csv", tmp_path / "out")
    assert sorted(p.name for p in written) == ["history.csv", "run.json"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out/r1/history.csv").read_text())))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    for row, expected in zip(rows, ROWS):
        assert {k: float(v) for k, v in row.items() if k != "note" and v} == pytest.approx(expected)
    assert rows[3]["note"] == "'=HYPERLINK()"  # a formula cell is neutralised
    run = json.loads((tmp_path / "out/r1/run.json").read_text())
    assert run["name"] == "baseline" and run["status"] == "completed"
    assert run["metrics"] == {"test": {"rmse": 0.7}} and run["config"]["model"]["name"] == "cnn"


def test_tensorboard_export_round_trips(store, tmp_path):
    export_runs(store, ["r1"], "tensorboard", tmp_path / "out")
    (path,) = (tmp_path / "out/r1").glob("events.out.tfevents.*.protscope")
    events = read_events(path.read_bytes())
    assert events[0]["file_version"] == "brain.Event:2" and not events[0]["values"]
    assert [e["step"] for e in events[1:]] == [1, 2, 3, 4]
    for event, row in zip(events[1:], ROWS):
        assert event["values"] == pytest.approx({TAGS[k]: v for k, v in row.items() if k != "epoch"}, rel=1e-6)
    assert events[4]["values"] == {}  # NaN, None and text are skipped
    assert [e["wall_time"] for e in events] == [1000.0, 1000.5, 1001.0, 1001.5, 1001.5]
    # Exporting again replaces the file rather than adding a second one TensorBoard would also plot.
    export_runs(store, ["r1"], "tensorboard", tmp_path / "out")
    assert len(list((tmp_path / "out/r1").glob("events.out.tfevents.*"))) == 1


def test_tensorboard_reads_the_file(store, tmp_path):
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    export_runs(store, ["r1"], "tensorboard", tmp_path / "out")
    reader = accumulator.EventAccumulator(str(tmp_path / "out/r1"))
    reader.Reload()
    assert set(reader.Tags()["scalars"]) == set(TAGS.values())
    scalars = reader.Scalars("val/accuracy")
    assert [s.step for s in scalars] == [1, 2, 3]
    assert [s.value for s in scalars] == pytest.approx([0.6, 0.7, 0.8], rel=1e-6)


def test_unknown_id_writes_nothing(store, tmp_path):
    with pytest.raises(ProtScopeError, match="no run 'nope'"):
        export_runs(store, ["r1", "nope"], "csv", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ProtScopeError, match="folder name"):
        export_runs(store, ["../r1"], "csv", tmp_path / "out")


def test_cli_export(store, tmp_path, capsys):
    db, out = str(store.path), str(tmp_path / "cli")
    assert main(["runs", "export", "r1", "--format", "tensorboard", "--out", out, "--db", db]) == 0
    assert main(["runs", "export", "r1", "--format", "csv", "--out", out, "--db", db]) == 0
    assert capsys.readouterr().out.count("wrote ") == 3
    assert len(read_events(next((tmp_path / "cli/r1").glob("events.out.tfevents.*")).read_bytes())) == 5
    first = next(csv.DictReader(io.StringIO((tmp_path / "cli/r1/history.csv").read_text())))
    assert math.isclose(float(first["lr"]), 0.001)
    assert main(["runs", "export", "missing", "--format", "csv", "--out", out, "--db", db]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "missing" in err[0]


INTERNALS = {"layers": [{"name": "convs.0", "kind": "Conv1d", "activation": "relu", "parameters": 10}],
             "records": [{"step": s, "epoch": s / 10, "lr": 1e-3, "g_total": 0.4,
                          "layers": {"convs.0": {"w_hist": {"lo": -1.0, "hi": 1.0, "counts": [1, 2, 3, 4], "pct": []},
                                                 "g_hist": {"lo": 0.0, "hi": 0.0, "counts": [5, 0, 0, 0], "pct": []},
                                                 "a_hist": None, "ratio": 1e-3, "dead": 0.25, "saturated": None}}}
                         for s in (1, 10, 25)]}


def test_layer_statistics_are_exported_as_histograms(store, tmp_path):
    store.save_artifact("r1", "", "internals", INTERNALS)
    [path] = export_runs(store, ["r1"], "tensorboard", tmp_path / "out")
    data = path.read_bytes()
    for tag in (b"weights/convs.0", b"gradients/convs.0", b"update_ratio/convs.0", b"dead/convs.0"):
        assert data.count(tag) == 3
    assert b"activations/convs.0" not in data and b"saturated/" not in data  # nothing recorded, nothing written
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    reader = accumulator.EventAccumulator(str(tmp_path / "out/r1"), size_guidance={"histograms": 0})
    reader.Reload()
    assert {"weights/convs.0", "gradients/convs.0"} <= set(reader.Tags()["histograms"])
    weights = reader.Histograms("weights/convs.0")
    assert [h.step for h in weights] == [1, 10, 25]
    assert weights[0].histogram_value.num == 10 and list(weights[0].histogram_value.bucket) == [1, 2, 3, 4]
    assert list(weights[0].histogram_value.bucket_limit) == pytest.approx([-0.5, 0.0, 0.5, 1.0])
    assert [s.value for s in reader.Scalars("dead/convs.0")] == [0.25] * 3
