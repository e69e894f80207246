"""Every preset trains from the command line and the dashboard, and the results script works end to end.

Each preset runs 1 epoch of 2 batches (the full val and test splits are still scored), so these
check that a preset is a valid, trainable config on its real dataset, not how well it does: that
is docs/RESULTS.md's job (`make results`).
"""
import json
import math
from pathlib import Path

import numpy as np
import pytest

from protscope.cli import main as cli
from protscope.cli.train import build_config
from protscope.config.presets import PRESETS
from protscope.config.run_config import locate

ROOT = Path(__file__).resolve().parent.parent


def train_json(capsys, tmp_path, *args) -> dict:
    status = cli.main(["train", *args, "--json", "--db", str(tmp_path / "runs.db")])
    out = capsys.readouterr()
    assert status == 0, out.err
    return json.loads(out.out.strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def run_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PROTSCOPE_RUNS", str(tmp_path / "runs"))


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_trains_from_the_command_line(name, capsys, tmp_path):
    summary = train_json(capsys, tmp_path, "--preset", name, "--epochs", "1", "--max-batches", "2")
    assert summary["stopped_reason"] == "completed", summary["message"]
    config = summary["config"]
    for key, value in PRESETS[name].values.items():
        section, field_name = locate(key)
        saved = config[section][field_name] if key != "dataset" else config["data"]["dataset"]
        expected = list(value) if isinstance(value, tuple) else value
        assert saved == expected or (key == "epochs" and saved == 1), (key, saved, value)
    test = summary["metrics"]["test"]
    assert isinstance(test["loss"], float) and all(v is None or isinstance(v, float) for v in test.values())
    assert Path(summary["checkpoint"]).is_file()


def test_the_solubility_preset_is_the_course_notes_classifier():
    c = build_config("solubility-cnn", None, {})
    assert c.data.dataset == "esol" and c.data.task == "binary"
    m = c.model
    assert (m.name, m.embedding_dim, m.layers, m.kernel_size, m.channels, m.pooling, m.dropout) == \
        ("cnn", 64, 2, 5, 128, "mean", 0.3)
    assert (c.optimizer.name, c.optimizer.lr, c.scheduler.name) == ("adam", 1e-3, "plateau")
    assert c.training.early_stopping and c.training.patience == 10


def test_qian_sejnowski_is_13_one_hot_residues_into_40_units_scored_on_cb513():
    from protscope.data.builtin import load_data
    from protscope.data.splits import make_split
    from protscope.modeling.models import build_model
    from protscope.train.prepare import model_dims

    c = build_config("qian-sejnowski", None, {})
    data = load_data(c.data)
    split = make_split(data, c.data)
    model = build_model(c.model, model_dims(c.resolve(data.task), data))
    layers = [w.shape for w in model.parameters() if w.dim() == 2]
    assert layers == [(40, 13 * 21), (3, 40)]  # 13 x 21 inputs -> 40 hidden -> H/E/C
    assert sorted(data.classes) == ["C", "E", "H"]
    test = split.index("test")
    assert len(test) == 511  # CB513's proteins as the NetSurfP-2.0 release has them
    # scored residues are CB513's eval_mask, a strict subset of its residues
    assert 0 < data.residue_mask[test].sum() < data.lengths[test].sum()


def test_a_preset_then_user_flags_win(capsys, tmp_path):
    summary = train_json(capsys, tmp_path, "--preset", "solubility-mlp", "--epochs", "1", "--max-batches", "2",
                         "--hidden", "32", "--lr", "0.01")
    assert summary["config"]["model"]["hidden"] == [32] and summary["config"]["optimizer"]["lr"] == 0.01
    assert summary["config"]["encoding"]["name"] == "aac_length"


def test_composition_features_are_aac_dpc_and_log_length():
    from types import SimpleNamespace

    from bench.results import composition_features
    from protscope.alphabet import encode, pack

    seqs = ["ACDA", "WWYKLM"]
    lengths = np.array([len(s) for s in seqs])
    data = SimpleNamespace(tokens=pack(np.concatenate([encode(s) for s in seqs]), lengths), lengths=lengths)
    x = composition_features(data)
    assert x.shape == (2, 421)
    assert x[0, 0] == pytest.approx(0.5)  # A is half of ACDA
    assert x[0, 20 + 0 * 20 + 1] == pytest.approx(1 / 3)  # AC is one of its 3 dipeptides
    np.testing.assert_allclose(x[:, -1], np.log([4, 6]), rtol=1e-6)


def test_results_script_trains_renders_and_rerenders(tmp_path, capsys):
    from bench.results import main

    out = tmp_path / "res"
    assert main(["--quick", "--out", str(out), "--only", "solubility-mlp", "--only", "gb1-regression",
                 "--only", "esol"]) == 0
    saved = json.loads((out / "runs.json").read_text())
    assert {r["name"] for r in saved["runs"].values()} == {"solubility-mlp", "gb1-regression"}
    trees = list(saved["baselines"].values())
    assert len(trees) == 1 and 0 <= trees[0]["test"]["accuracy"] <= 1
    table = (out / "RESULTS.md").read_text()
    assert "Quick mode" in table and "gradient-boosted trees" in table
    mlp = saved["runs"]["solubility-mlp seed=0"]
    row = next(line for line in table.splitlines() if line.startswith("| `solubility-mlp` | accuracy"))
    assert f"{mlp['test']['accuracy']:.3f}" in row
    assert ("**met**" in row) == (mlp["test"]["accuracy"] >= 0.78)
    assert "not run" in next(line for line in table.splitlines() if line.startswith("| `ss-cnn`"))
    assert "GraphSol" in table and "0.483" in table and "0.643" in table

    (out / "RESULTS.md").unlink()
    assert main(["--render", "--out", str(out)]) == 0
    assert (out / "RESULTS.md").read_text() == table  # from the saved runs alone, no training

    assert main(["--only", "nope", "--out", str(out)]) == 2
    assert "unknown name 'nope'" in capsys.readouterr().err


def test_results_resume_keeps_runs_whose_config_is_unchanged(tmp_path):
    from bench.results import load_saved, run_all, runs_of

    out = tmp_path / "runs.json"
    saved = run_all(["gb1-regression"], load_saved(out), out, seeds=1, quick=True, resume=False)
    first = saved["runs"]["gb1-regression seed=0"]
    again = run_all(["gb1-regression"], load_saved(out), out, seeds=1, quick=True, resume=True)
    assert again["runs"]["gb1-regression seed=0"] == first  # not retrained
    (label, config), = runs_of("gb1-regression", 1, quick=True)
    assert label == "seed=0" and config.training.epochs == 1 and config.training.max_batches == 2
    assert not math.isnan(first["seconds"])
