"""Sweeps: expanding a grid, random samples and seeds into runs, and training them locally and on Ray."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from protscope.cli.main import main
from protscope.config.presets import get_preset
from protscope.config.run_config import RunConfig
from protscope.data.builtin import config_for
from protscope.errors import ProtScopeError
from protscope.runs.outputs import load_internals
from protscope.runs.store import open_store
from protscope.runs.sweep_runner import run_sweep
from protscope.runs.sweeps import SweepSpec, count, expand, parse_grid, parse_random, preset_sweep
from protscope.serialise import clean_json
from tests.conftest import tiny_dataset

ROOT = Path(__file__).resolve().parent.parent
TINY = dict(encoding="aac", model="mlp", epochs=1, max_batches=2, batch_size=8, device="cpu")


@pytest.fixture(scope="module")
def esol() -> RunConfig:
    return RunConfig(data=config_for("esol"))


def test_grid_times_seeds_gives_one_labelled_run_per_combination(esol):
    spec = SweepSpec(grid={"optimizer": ("sgd", "adam", "adamw"), "lr": (1e-3, 3e-3)}, seeds=3, name="opt")
    runs = expand(spec, esol)
    assert count(spec) == len(runs) == 18
    assert runs[0].label == "optimizer=sgd lr=0.001 seed=0" and runs[-1].label == "optimizer=adamw lr=0.003 seed=2"
    assert len({r.label for r in runs}) == 18
    assert [r.config.training.seed for r in runs[:3]] == [0, 1, 2]
    assert {(r.config.optimizer.name, r.config.optimizer.lr) for r in runs} == {
        (o, lr) for o in ("sgd", "adam", "adamw") for lr in (1e-3, 3e-3)}
    assert all(r.config.data.dataset == "esol" and r.sweep == "opt" for r in runs)
    assert runs[4].values == {"optimizer": "sgd", "lr": 3e-3, "seed": 1}


def test_one_seed_keeps_the_base_seed(esol):
    runs = expand(SweepSpec(grid={"model": ("mlp", "cnn")}), esol.with_values(seed=7))
    assert [r.label for r in runs] == ["model=mlp", "model=cnn"] and {r.config.training.seed for r in runs} == {7}


def test_random_samples_are_reproducible_for_a_seed(esol):
    spec = SweepSpec(random={"lr": ("loguniform", 1e-4, 1e-2), "channels": ("uniform", 16, 64),
                             "activation": ("choice", ("relu", "gelu"))}, samples=5, seed=1)
    first, again = expand(spec, esol), expand(spec, esol)
    other = expand(SweepSpec(random=spec.random, samples=5, seed=2), esol)
    assert count(spec) == len(first) == 5
    assert [r.label for r in first] == [r.label for r in again] != [r.label for r in other]
    for run in first:
        assert 1e-4 <= run.config.optimizer.lr <= 1e-2 and 16 <= run.config.model.channels <= 64
        assert isinstance(run.config.model.channels, int) and run.config.model.activation in ("relu", "gelu")
        assert f"lr={run.config.optimizer.lr:g}" in run.label  # the label is the value the run uses
    crossed = expand(SweepSpec(grid={"optimizer": ("sgd", "adam")}, random={"lr": ("uniform", 0.01, 0.1)},
                               samples=3, seeds=2), esol)
    assert len(crossed) == 12
    # every grid value is tried on the same random points
    assert [r.values["lr"] for r in crossed[:6]] == [r.values["lr"] for r in crossed[6:]]


def test_the_optimizer_comparison_preset_links_settings_to_each_optimizer():
    from protscope.cli.train import build_config

    preset = get_preset("optimizer-comparison")
    runs = expand(preset_sweep(preset), build_config(preset.name, None, {}))
    assert len(runs) == 9 and all(r.sweep == "optimizer-comparison" for r in runs)
    by_name = {r.config.optimizer.name: r.config.optimizer for r in runs}
    assert (by_name["sgd"].lr, by_name["sgd"].momentum) == (0.01, 0.9)
    assert (by_name["adam"].lr, by_name["adam"].weight_decay) == (1e-3, 0.0)
    assert (by_name["adamw"].lr, by_name["adamw"].weight_decay) == (1e-3, 0.01)
    assert runs[0].label == "optimizer=sgd lr=0.01 momentum=0.9 seed=0"
    assert runs[8].label == "optimizer=adamw lr=0.001 weight_decay=0.01 seed=2"
    assert all(r.config.model.name == "cnn" and r.config.data.dataset == "esol" for r in runs)
    assert sorted(r.config.training.seed for r in runs) == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_a_swept_value_wins_over_a_linked_one(esol):
    spec = SweepSpec(grid={"optimizer": ("sgd",), "lr": (0.1, 0.2)}, linked={"optimizer": {"sgd": {"lr": 0.01,
                                                                                                  "momentum": 0.5}}})
    assert [r.label for r in expand(spec, esol)] == ["optimizer=sgd momentum=0.5 lr=0.1",
                                                      "optimizer=sgd momentum=0.5 lr=0.2"]


@pytest.mark.parametrize("spec, message", [
    (SweepSpec(grid={"lrr": (1e-3,)}), "unknown setting 'lrr'. Fix: did you mean 'lr'?"),
    (SweepSpec(grid={"optimizer": ("sgd", "adamm")}), "optimizer.name is 'adamm'"),
    (SweepSpec(grid={"dropout": (0.1, 2.0)}), "model.dropout is 2.0"),
    (SweepSpec(grid={"lr": ()}), "'lr' needs a list of values"),
    (SweepSpec(grid={"lr": (0.1, 0.1)}), "'lr' lists 0.1 twice"),
    (SweepSpec(base={"encoding": "aac"}, grid={"model": ("mlp", "cnn")}, seeds=2),
     "sweep run 'model=cnn seed=0' is not a valid config: the 1D convolutional network (CNN) cannot read the 'aac'"),
    (SweepSpec(grid={"optimizer": ("sgd",)}, linked={"optimizer": {"adam": {"lr": 1}}}),
     "settings are linked to optimizer=adam, which the grid does not include"),
    (SweepSpec(linked={"optimizer": {"sgd": {"lr": 1}}}), "settings are linked to values of 'optimizer'"),
    (SweepSpec(random={"lr": ("loguniform", 1e-4, 1e-2)}), "random settings are given but no samples"),
    (SweepSpec(random={"lr": ("normal", 0, 1)}, samples=2), "'lr' has an unknown distribution"),
    (SweepSpec(random={"optimizer": ("uniform", 0, 1)}, samples=2), "'optimizer' is not a number"),
    (SweepSpec(grid={"seed": (1, 2)}, seeds=3), "seed is swept and seeds is above 1"),
    (SweepSpec(grid={f: tuple(range(1, 12)) for f in ("epochs", "layers", "patience", "accumulation")}),
     "the sweep has 14,641 runs"),
])
def test_bad_sweeps_are_refused_with_a_clear_message(esol, spec, message):
    with pytest.raises(ProtScopeError) as caught:
        expand(spec, esol)
    assert message in str(caught.value)


def test_parse_grid_converts_values_to_each_fields_type():
    grid = parse_grid(["optimizer=sgd,adam", "lr=1e-3, 3e-3", "hidden=64x32,128", "residual=true,false",
                       "layers=1,3", "focal_alpha=none,0.25"])
    assert grid == {"optimizer": ("sgd", "adam"), "lr": (1e-3, 3e-3), "hidden": ((64, 32), (128,)),
                    "residual": (True, False), "layers": (1, 3), "focal_alpha": (None, 0.25)}
    assert isinstance(grid["layers"][0], int) and isinstance(grid["lr"][0], float)
    for bad, message in [(["lr"], "is not FIELD=VALUES"), (["lr=abc"], "optimizer.lr must be float"),
                         (["hidden=64xa"], "model.hidden must be int"), (["lr=1", "lr=2"], "given twice"),
                         (["lr=1,,2"], "optimizer.lr must be float")]:
        with pytest.raises(ProtScopeError, match=message):
            parse_grid(bad)


def test_parse_random_reads_distributions():
    spec = parse_random(["lr=loguniform:1e-4:1e-2", "dropout=uniform:0:0.5", "model=choice:mlp,cnn"])
    assert spec == {"lr": ("loguniform", 1e-4, 1e-2), "dropout": ("uniform", 0.0, 0.5),
                    "model": ("choice", ("mlp", "cnn"))}
    with pytest.raises(ProtScopeError, match="has the range 0.01 to 0.0001"):
        parse_random(["lr=loguniform:1e-2:1e-4"])


@pytest.mark.parametrize("parallel", [1, 2])
def test_a_local_sweep_trains_and_records_every_run(tmp_path, parallel):
    data = tiny_dataset("binary")
    runs = expand(SweepSpec(grid={"lr": (1e-3, 1e-2)}, seeds=2, name="tiny"), RunConfig().with_values(**TINY))
    store = open_store(tmp_path / "db")
    seen = []
    reports = run_sweep(runs, data, store, tags=("course",), runs_dir=tmp_path / "runs", on_result=seen.append,
                        parallel=parallel)
    assert [r["label"] for r in reports] == [r.label for r in runs] and seen == reports
    assert all(r["status"] == "completed" and "test" in r["metrics"] for r in reports)
    recorded = store.list_runs(tag="sweep:tiny")
    assert {r["id"] for r in recorded} == {r["run_id"] for r in reports}
    for run in recorded:
        assert run["tags"] == ["course", "sweep:tiny"] and run["name"].startswith("tiny lr=")
        assert run["status"] == "completed" and len(store.history(run["id"])) == 1
        assert Path(run["checkpoint"]).is_file() and Path(run["run_dir"]).parent == (tmp_path / "runs").resolve()
    assert {r["config"]["training"]["seed"] for r in recorded} == {0, 1}


def test_a_bad_combination_for_the_data_fails_before_anything_trains(tmp_path):
    runs = expand(SweepSpec(grid={"loss": ("bce", "mse")}), RunConfig().with_values(**TINY))
    store = open_store(tmp_path / "db")
    with pytest.raises(ProtScopeError, match="sweep run 'loss=mse' cannot train on this data"):
        run_sweep(runs, tiny_dataset("binary"), store, runs_dir=tmp_path / "runs")
    assert store.list_runs() == []


def _binary_csv(tmp_path: Path, binary_csv: bytes) -> Path:
    path = tmp_path / "tiny.csv"
    path.write_bytes(binary_csv)
    return path


def test_a_ray_sweep_records_results_on_the_driver(tmp_path, binary_csv):
    try:
        import ray
    except ImportError:
        if os.environ.get("CI"):
            raise  # make test installs requirements-ray.txt: under CI a missing Ray is a failure, not a skip
        pytest.skip("ray is not installed")
    base = RunConfig().with_values(path=str(_binary_csv(tmp_path, binary_csv)), **TINY)
    runs = expand(SweepSpec(grid={"optimizer": ("sgd", "adam")}, seeds=2, name="on-ray"), base)
    store = open_store(tmp_path / "db")
    try:
        reports = run_sweep(runs, None, store, tags=("ray",), runs_dir=tmp_path / "runs", backend="ray", ray_cpus=2)
    finally:
        ray.shutdown()
    assert [r["label"] for r in reports] == ["optimizer=sgd seed=0", "optimizer=sgd seed=1", "optimizer=adam seed=0",
                                             "optimizer=adam seed=1"]
    assert all(r["status"] == "completed" for r in reports), reports
    for report in reports:
        run = store.get_run(report["run_id"])
        assert run["tags"] == ["ray", "sweep:on-ray"] and run["dataset"].endswith("tiny.csv")
        assert run["task"] == "binary" and run["device"] == "cpu" and run["parameters"] > 0
        assert len(store.history(run["id"])) == 1 and run["metrics"] == clean_json(report["metrics"])
        folder = tmp_path / "runs" / run["id"]
        assert {p.name for p in folder.iterdir()} == {"config.json", "checkpoint.pt", "history.json", "result.json"}
        assert Path(run["checkpoint"]) == (folder / "checkpoint.pt").resolve()
        assert load_internals(store, run["id"])["records"]  # the worker's layer statistics came back too


def test_importing_protscope_does_not_import_ray():
    code = "import sys, protscope.runs.sweeps, protscope.cli.main; print('ray' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_the_documented_dry_run_lists_18_runs():
    done = subprocess.run([sys.executable, "-m", "protscope", "sweep", "--dataset", "esol", "--grid",
                           "optimizer=sgd,adam,adamw", "--grid", "lr=1e-3,3e-3", "--seeds", "3", "--dry-run"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "18 runs (dry run: nothing trained)" and "optimizer=adamw lr=0.003 seed=2" in lines[-2]


def test_the_preset_dry_run_lists_nine_runs_and_flags_win(capsys):
    assert main(["sweep", "--preset", "optimizer-comparison", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "9 runs" in out and "optimizer=sgd lr=0.01 momentum=0.9 seed=2" in out
    assert main(["sweep", "--preset", "optimizer-comparison", "--lr", "0.05", "--seeds", "1", "--dry-run",
                 "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["label"] for r in listed] == ["optimizer=sgd momentum=0.9", "optimizer=adam",
                                            "optimizer=adamw weight_decay=0.01"]
    assert {r["config"]["optimizer"]["lr"] for r in listed} == {0.05}


def test_the_cli_runs_a_tiny_sweep_and_prints_json(tmp_path, binary_csv, capsys, monkeypatch):
    monkeypatch.setenv("PROTSCOPE_RUNS", str(tmp_path / "runs"))
    db = tmp_path / "sweeps.db"
    code = main(["sweep", "--data", str(_binary_csv(tmp_path, binary_csv)), "--encoding", "aac", "--model", "mlp",
                 "--epochs", "1", "--max-batches", "2", "--device", "cpu", "--grid", "lr=1e-3,1e-2", "--name", "cli",
                 "--json", "--db", str(db)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    listed = json.loads(captured.out)
    assert [r["label"] for r in listed] == ["lr=0.001", "lr=0.01"]
    assert all(set(r) == {"run_id", "label", "status", "metrics"} and r["status"] == "completed" for r in listed)
    assert "[2/2] lr=0.01: completed" in captured.err
    assert len(open_store(db).list_runs(tag="sweep:cli")) == 2


@pytest.mark.parametrize("argv, message", [
    (["--grid", "lrr=1,2"], "error: --grid: unknown setting 'lrr'. Fix: did you mean 'lr'?"),
    (["--grid", "model=cnn", "--encoding", "aac"], "error: sweep run 'model=cnn' is not a valid config"),
    (["--random", "lr=loguniform:1e-4:1e-2"], "error: sweep: random settings are given but no samples"),
    ([], "error: nothing to sweep"),
])
def test_the_cli_refuses_bad_sweeps_with_one_error_line(capsys, argv, message):
    assert main(["sweep", "--dataset", "esol", "--dry-run", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message)


def test_backend_flags_name_the_ray_backend_and_a_missing_ray_is_explained(monkeypatch, capsys):
    import builtins

    from protscope.cli.main import main

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ModuleNotFoundError("No module named 'ray'", name="ray")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    code = main(["sweep", "--dataset", "esol", "--grid", "optimizer=sgd,adam", "--epochs", "1", "--max-batches", "1",
                 "--ray", "auto"])
    assert code == 2
    assert "requirements-ray.txt" in capsys.readouterr().err
