"""What a model learned (issue 20): the first layer and the learned space recorded at each epoch's end
(protscope.train.learned), stored with the run; motifs from first-layer filters (protscope.explain.filters and
motifs) checked on a filter built to match a planted motif; the PCA projection; `explain --method motifs|space`."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from protscope.config.run_config import RunConfig
from protscope.config.sections import ModelConfig
from protscope.errors import ProtScopeError
from protscope.explain import space as space_module
from protscope.explain.filters import filter_influence, first_activations, nulled_logits, rest_of_network, scan_filters
from protscope.explain.motifs import cnn_motifs, run_motifs
from protscope.explain.space import pca_axes, project
from protscope.modeling.models import ModelDims, build_model
from protscope.runs.outputs import learned_bytes, learned_from_bytes, load_learned
from protscope.runs.recorder import record
from protscope.runs.repository import RunRepository
from protscope.runs.store import RunStore
from protscope.train.batches import make_batch, to_device
from protscope.train.checkpoint import load_checkpoint, save_checkpoint
from protscope.train.events import MAX_LEARNED_EPOCHS, keep_evenly
from protscope.train.learned import LearnedSeries
from protscope.train.predict import to_data
from protscope.train.trainer import Trainer
from tests.conftest import random_sequences
from tests.test_cli import cli

RUNS = {"cnn": ("binary", dict(model="cnn", encoding="tokens", channels=8, embedding_dim=16, dropout=0.2)),
        "window": ("residue", dict(model="window_mlp", encoding="window", hidden=(6,))),
        "cnn-residue": ("residue", dict(model="cnn", encoding="onehot", channels=6, layers=2))}


@pytest.fixture(scope="module")
def stored(tiny, tmp_path_factory):
    """name -> (RunRepository, run id, trainer, data): each run trained 3 epochs and recorded in one store."""
    folder = tmp_path_factory.mktemp("learned")
    store = RunStore(folder / "protscope.db", runs_root=folder)
    out = {}
    for name, (task, settings) in RUNS.items():
        data, split = tiny[task]
        config = RunConfig().with_values(epochs=3, batch_size=16, restore_best=False, **settings)
        trainer = Trainer(config, data, split, run_dir=folder / name)
        trainer.start()
        record(trainer, store)
        out[name] = (RunRepository(store), trainer.run_id, trainer, data)
    return out


# --- recording ---------------------------------------------------------------------------------------

def test_recording_does_not_change_the_run(tiny):
    data, split = tiny["binary"]
    runs = {}
    for on in (True, False):
        config = RunConfig().with_values(epochs=2, batch_size=16, model="cnn", encoding="tokens", channels=8,
                                         dropout=0.2, learned=on)
        trainer = Trainer(config, data, split)
        result = trainer.run()
        runs[on] = ([(r["train_loss"], r["val_loss"]) for r in result.history], trainer.snapshot().learned_records)
    assert runs[True][0] == runs[False][0]
    assert len(runs[True][1]) == 2 and runs[False][1] == ()


def test_stored_at_each_epoch_and_reloaded(stored):
    repo, run_id, trainer, data = stored["cnn"]
    series = load_learned(repo.store, run_id)
    snap = trainer.snapshot()
    assert series.kind == "conv" and series.epochs.tolist() == [1, 2, 3]
    assert series.features.dtype == np.float16 and series.features.shape[:2] == (3, len(trainer.split.index("val")))
    assert series.filters.shape == (3, 8, 16, 5) and series.letters.shape == (3, 20, 16)
    np.testing.assert_array_equal(series.features[-1], snap.learned_records[-1]["features"])
    by_id = {str(i): r for r, i in enumerate(data.ids)}
    np.testing.assert_array_equal(series.labels, data.y[[by_id[i] for i in series.ids]])
    assert repo.learned(run_id).epochs.tolist() == [1, 2, 3]


@pytest.mark.parametrize("name", list(RUNS))
def test_recorded_features_are_what_the_output_layer_reads(stored, name):
    """The last epoch's stored features equal the checkpoint model's output-layer input, point by point."""
    repo, run_id, trainer, data = stored[name]
    series = repo.learned(run_id)
    model, config, _ = load_checkpoint(trainer.result.checkpoint)
    caught = []
    model.head.register_forward_pre_hook(lambda _layer, args: caught.append(args[0]))
    dd = to_device(data, torch.device("cpu"), config.encoding)
    row_of = {str(i): r for r, i in enumerate(data.ids)}
    for point in (0, len(series.ids) // 2, len(series.ids) - 1):
        batch = make_batch(dd, np.array([row_of[series.ids[point]]]), config.encoding)
        caught.clear()
        with torch.no_grad():
            model(batch.x, batch.mask)
        h = caught[0]
        if series.position is not None:
            h = h[0] if h.dim() == 3 else h  # CNN (1, L, D); MLP (real residues, D): one protein, in order
            h = h[int(series.position[point])]
        np.testing.assert_allclose(series.features[-1, point].astype(np.float32), h.reshape(-1).numpy(),
                                   rtol=1e-2, atol=2e-3)


def test_per_residue_points_are_scored_residues_with_their_labels(stored):
    _, run_id, trainer, data = stored["window"]
    series = learned_from_bytes(learned_bytes(trainer.snapshot()))
    row_of = {str(i): r for r, i in enumerate(data.ids)}
    rows = np.array([row_of[i] for i in series.ids])
    assert data.residue_mask[rows, series.position].all()
    np.testing.assert_array_equal(series.labels, data.residue_y[rows, series.position])
    assert "".join(series.residues[:5]) == "".join(data.sequences[r][p] for r, p in zip(rows[:5], series.position[:5]))


def test_a_wide_output_layer_keeps_fewer_points(tiny, monkeypatch):
    from protscope.train import learned
    from protscope.train.prepare import prepare

    data, split = tiny["residue"]
    prepared = prepare(RunConfig().with_values(model="cnn", encoding="onehot", channels=8, layers=1), data, split)
    assert len(learned.LearnedRecorder(prepared, data).point_protein) > 40
    monkeypatch.setattr(learned, "FEATURE_VALUES", 8 * 40)  # 8 features a residue: 40 residues at most
    assert len(learned.LearnedRecorder(prepared, data).point_protein) == 40


def test_at_most_thirty_epochs_are_kept_evenly_and_always_the_latest():
    kept = ()
    for epoch in range(1, 201):
        kept = keep_evenly(kept + ({"epoch": epoch},))
        epochs = [r["epoch"] for r in kept]
        assert len(epochs) <= MAX_LEARNED_EPOCHS and epochs[0] == 1 and epochs[-1] == epoch
        gaps = set(np.diff(epochs[:-1]))
        assert len(gaps) <= 1  # evenly spaced, the latest apart
    assert epochs[:3] == [1, 9, 17]


# --- motifs -------------------------------------------------------------------------------------------

MOTIF = "WHKCM"


def crafted_cnn():
    """A one-hot CNN of 3 filters (kernel 5) and max pooling: filter 0 fires only on MOTIF and alone feeds the
    output; filter 1 never fires (dead); filter 2 fires on anything but the output ignores it."""
    config = RunConfig().with_values(model="cnn", encoding="onehot", channels=3, kernel_size=5, layers=1,
                                     pooling="max", task="binary")
    dims = ModelDims(21, 2, "residue", False, 400)
    model = build_model(config.model, dims).eval()
    conv = model.convs[0]
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.copy_(torch.tensor([-4.5, -1.0, 1.0]))
        for j, letter in enumerate(MOTIF):
            conv.weight[0, "ACDEFGHIKLMNPQRSTVWY".index(letter), j] = 1.0  # 5 matches: 0.5; 4 or fewer: 0
        conv.weight[2] = 0.1
        model.head.weight.zero_()
        model.head.bias.zero_()
        model.head.weight[1, 0] = 5.0
    return model, config, dims


def planted(n: int, seed: int) -> list[str]:
    """Random sequences, MOTIF planted at a random place in every other one."""
    rng = np.random.default_rng(seed)
    out = []
    for i, seq in enumerate(random_sequences(n, seed=seed, low=40, high=120)):
        if i % 2 == 0:
            at = int(rng.integers(0, len(seq) - len(MOTIF)))
            seq = seq[:at] + MOTIF + seq[at + len(MOTIF):]
        out.append(seq)
    return out


def test_a_filter_built_for_a_planted_motif_finds_it_and_matters_most(tmp_path):
    model, config, dims = crafted_cnn()
    sequences = planted(60, seed=3)
    data, _, _ = to_data([str(i) for i in range(60)], sequences, 400)
    dd = to_device(data, torch.device("cpu"), config.encoding)
    scan = scan_filters(model, dd, np.arange(60), config.encoding)
    assert "".join("ACDEFGHIKLMNPQRSTVWY"[i] for i in np.nanargmax(scan.pwm()[0], 1)) == MOTIF
    assert scan.sites[0] == sum(s.count(MOTIF) for s in sequences) and scan.sites[1] == 0
    assert np.isnan(scan.threshold[1]) and np.isnan(scan.pwm()[1]).all()
    change = filter_influence(model, dd, np.arange(60), config.encoding, "binary", scan.mean)
    assert change[0] > 0.1 and change[1] == 0 and change[2] == 0
    checkpoint = tmp_path / "checkpoint.pt"
    save_checkpoint(checkpoint, model, config, dims, ("0", "1"), {}, 1)
    found = cnn_motifs(checkpoint, sequences, sequences[:20])
    assert found.motifs[0].filter == 0 and found.motifs[0].consensus == MOTIF
    assert found.weights_at().shape == (3, 5, 20) and found.epoch_weights is None and found.notes
    assert json.loads(json.dumps(found.to_json(top=2)))["filters"][0]["consensus"] == MOTIF


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_the_split_forward_and_the_nulled_filters_equal_the_model(layers):
    torch.manual_seed(0)
    model = build_model(ModelConfig(name="cnn", channels=6, kernel_size=5, layers=layers, dilation=2, embedding_dim=8),
                        ModelDims(22, 3, "tokens", False, 50)).eval()
    x = torch.randint(1, 21, (4, 40))
    mask = torch.ones(4, 40, dtype=torch.bool)
    mask[1, 30:] = False
    x[~mask] = 0
    a = first_activations(model, x, mask)
    torch.testing.assert_close(rest_of_network(model, a, mask), model(x, mask))
    means, chosen = torch.rand(6), torch.tensor([1, 4])
    second = model.convs[1](a).transpose(1, 2) if layers > 1 else None
    got = nulled_logits(model, a, mask, chosen, means, second).view(2, 4, -1)
    for j, f in enumerate(chosen):
        replaced = a.clone()
        replaced[:, f] = means[f] * mask
        torch.testing.assert_close(got[j], rest_of_network(model, replaced, mask), atol=1e-5, rtol=1e-4)


def test_a_trained_cnn_run_has_ranked_motifs_with_a_slider_over_epochs(stored):
    repo, run_id, _, data = stored["cnn"]
    found = run_motifs(repo, run_id, data=data)
    assert len(found.motifs) == 8 and found.epochs.tolist() == [1, 2, 3] and found.epoch_weights.shape == (3, 8, 5, 20)
    influence = [m.influence for m in found.motifs]
    assert influence == sorted(influence, reverse=True) and all(np.isfinite(influence))
    assert "training" in found.scanned and found.notes == ()
    np.testing.assert_allclose(found.weights_at(2), found.weights_at(), atol=2e-2)  # restore_best off: the last
    again = run_motifs(repo, run_id)  # an uploaded table's run: its data cannot be loaded again
    assert "validation" in again.scanned and "not the training set" in again.notes[0]


def test_the_window_network_shows_each_hidden_unit(stored):
    repo, run_id, *_ = stored["window"]
    units = run_motifs(repo, run_id)
    assert units.weights.shape == (6, 13, 21) and units.outgoing.shape == (3, 6) and units.classes == ("H", "E", "C")
    assert units.epoch_weights.shape == (3, 6, 13, 21) and units.offsets.tolist() == list(range(-6, 7))
    assert units.to_json()["units"][0]["outgoing"] is not None


def test_motifs_of_another_model_are_refused_in_words(tiny, tmp_path):
    data, split = tiny["binary"]
    store = RunStore(tmp_path / "db", runs_root=tmp_path)
    config = RunConfig().with_values(epochs=1, model="mlp", encoding="aac")
    trainer = Trainer(config, data, split, run_dir=tmp_path / "r")
    trainer.start()
    record(trainer, store)
    with pytest.raises(ProtScopeError, match="CNN's first-layer filters; this run's model is 'mlp'"):
        run_motifs(RunRepository(store), trainer.run_id)


# --- the learned space ---------------------------------------------------------------------------------

def series(features: np.ndarray, labels=None) -> LearnedSeries:
    e, p, _ = features.shape
    return LearnedSeries(np.arange(1, e + 1), features.astype(np.float16), None, None, "", np.array(
        [f"p{i}" for i in range(p)]), None, None, labels)


def test_pca_is_fitted_on_the_last_epoch_and_kept_for_every_epoch():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    last = rng.normal(size=(50, 6)) * np.array([5, 2, 0.5, 0.1, 0.1, 0.1])
    first = rng.normal(size=(50, 6)) + 3.0
    projected = project(series(np.stack([first, last])))
    assert projected.coords.shape == (2, 50, 2) and projected.epochs.tolist() == [1, 2]
    reference = PCA(2).fit(last.astype(np.float16).astype(np.float32))
    np.testing.assert_allclose(np.abs(pca_axes(last)), np.abs(reference.components_), atol=1e-3)
    np.testing.assert_allclose(np.abs(projected.coords[1]), np.abs(reference.transform(last.astype(np.float16))),
                               atol=2e-2)
    assert projected.explained[1] > 0.95 and 0 < projected.explained[0] < 0.6  # the first epoch's spread is elsewhere
    assert json.loads(json.dumps(projected.to_json()))["coords"][1][0] == pytest.approx(projected.coords[1, 0],
                                                                                         abs=1e-3)


def test_umap_without_umap_learn_says_so(monkeypatch):
    monkeypatch.setattr(space_module, "umap_available", lambda: False)
    with pytest.raises(ProtScopeError, match="umap-learn"):
        project(series(np.ones((1, 10, 3))), "umap")
    with pytest.raises(ProtScopeError, match="no recorded learned space"):
        project(None)


# --- the command line ---------------------------------------------------------------------------------

def test_explain_motifs_and_space_as_json(stored):
    repo, run_id, *_ = stored["cnn"]
    db = str(repo.store.path)
    done = cli("explain", "--run", run_id, "--method", "motifs", "--top", "3", "--db", db, "--json")
    assert done.returncode == 0, done.stderr
    motifs = json.loads(done.stdout)
    assert motifs["kind"] == "cnn" and len(motifs["filters"]) == 3 and len(motifs["filters"][0]["pwm"]) == 5
    space = json.loads(cli("explain", "--run", run_id, "--method", "space", "--db", db, "--json").stdout)
    assert np.asarray(space["coords"]).shape == (3, len(space["points"]["ids"]), 2) and space["classes"] == ["0", "1"]
    text = cli("explain", "--run", stored["window"][1], "--method", "motifs", "--db", db)
    assert text.returncode == 0 and "6 hidden units of the window network" in text.stdout
    refused = cli("explain", "--checkpoint", "x.pt", "--method", "space")
    assert refused.returncode == 2 and "--run RUN_ID" in refused.stderr
