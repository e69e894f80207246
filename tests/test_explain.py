"""What a model looks at (protscope/explain, `python -m protscope explain`): every encoding rebuilt from a
one-hot equals the registry's, Integrated Gradients adds up on every model family, saturation mutagenesis
equals the Predict path's predictions of the mutants, and bad requests are refused in words."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from protscope import alphabet
from protscope.config.sections import DataConfig, EncodingConfig
from protscope.data.builtin import load_bytes
from protscope.data.splits import make_split
from protscope.errors import ProtScopeError
from protscope.explain import mutagenesis
from protscope.explain import task as task_module
from protscope.explain.attribution import attribute
from protscope.explain.mutagenesis import saturation_mutagenesis
from protscope.explain.onehot import DIFFERENTIABLE, one_hot
from protscope.explain.subject import load_explainable
from protscope.explain.task import explain, start_explanation
from protscope.modeling.encodings import ENCODINGS, encode
from protscope.modeling.models import MODELS
from protscope.runs.recorder import record_in_background
from protscope.runs.store import RunStore
from protscope.train.batches import to_device
from protscope.train.inference import predict
from protscope.train.predict import predict_sequences, to_data
from protscope.train.trainer import Trainer
from tests.conftest import MULTILABELS, multilabel_csv
from tests.test_cli import cli
from tests.test_engine import config

# name -> (task, settings): every model family, tokens and composition encodings, each kind of output layer
CASES = {
    "linear-aac_length": ("regression", dict(model="linear", encoding="aac_length")),
    "mlp-dpc": ("multiclass", dict(model="mlp", encoding="dpc")),
    "mlp-onehot-multilabel": ("multilabel", dict(model="mlp", encoding="onehot")),
    "window_mlp-window": ("residue", dict(model="window_mlp", encoding="window")),
    "cnn-tokens": ("binary", dict(model="cnn", encoding="tokens")),
    "rnn-blosum62-harmonic": ("multiclass", dict(model="rnn", encoding="blosum62", loss="harmonic")),
    "transformer-tokens": ("residue", dict(model="transformer", encoding="tokens")),
    "transformer-physchem-ce": ("binary", dict(model="transformer", encoding="physchem", loss="ce")),
    "mlp-kmer": ("binary", dict(model="mlp", encoding="kmer", k=3)),
}


@pytest.fixture(scope="module")
def runs(tiny, tmp_path_factory):
    """name -> (checkpoint, a sequence of its data), each trained for 3 epochs."""
    out = {}
    for name, (task, settings) in CASES.items():
        if task == "multilabel":
            data = load_bytes(multilabel_csv(60), "m.csv", DataConfig(label_cols=",".join(MULTILABELS)))
            split = make_split(data, DataConfig(val_fraction=0.2, test_fraction=0.2))
        else:
            data, split = tiny[task]
        result = Trainer(config(epochs=3, lr=0.01, **settings), data, split,
                         run_dir=tmp_path_factory.mktemp(name)).run()
        assert result.status == "completed", result.message
        out[name] = (result.checkpoint, data.sequences[1])
    return out


def options(name: str) -> dict:
    return {"position": 7} if CASES[name][0] == "residue" else {}


# --- the encodings, from a one-hot -------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n, e in ENCODINGS.items() if e.level != "tokens"])
def test_every_encoding_rebuilt_from_a_one_hot_is_the_registry_encoding(name):
    assert name in DIFFERENTIABLE, f"add '{name}' computed from a one-hot to protscope/explain/onehot.py"
    seqs = ["MKXVLAAGW", "ACDEFGHIKLMNPQRSTVWYX", "K", "WB", "GG"]  # X and B (as X), padding, shorter than k
    tokens = alphabet.pack(np.concatenate([alphabet.encode(s) for s in seqs]), np.array([len(s) for s in seqs]))
    tokens, lengths = torch.as_tensor(tokens), torch.tensor([len(s) for s in seqs])
    for k, window in ((1, 0), (2, 2), (3, 6)):
        cfg = EncodingConfig(name=name, k=k, window=window)
        assert torch.equal(DIFFERENTIABLE[name](one_hot(tokens), lengths, cfg), encode(tokens, lengths, cfg))
        assert torch.equal(DIFFERENTIABLE[name](one_hot(tokens[1:3, :1]), lengths[1:3].clamp(max=1), cfg),
                           encode(tokens[1:3, :1], lengths[1:3].clamp(max=1), cfg))  # one residue wide


# --- Integrated Gradients and saliency ----------------------------------------------------------

def test_every_model_family_is_covered():
    assert {settings["model"] for _, settings in CASES.values()} == set(MODELS)
    assert {"tokens", "aac_length", "dpc", "kmer", "window"} <= {s["encoding"] for _, s in CASES.values()}


@pytest.mark.parametrize("name", CASES)
def test_integrated_gradients_add_up_to_the_change_from_the_baseline(runs, name):
    checkpoint, sequence = runs[name]
    found = attribute(checkpoint, sequence, "ig", **options(name))
    change = found.score - found.baseline_score
    assert found.scores.shape == (len(sequence),) and np.isfinite(found.scores).all()
    assert abs(change) > 1e-4, "the test needs a model whose prediction moves away from the baseline"
    assert abs(found.scores.sum() - change) <= 0.05 * abs(change), (found.scores.sum(), change, found.steps)
    assert found.delta == pytest.approx(found.scores.sum() - change, abs=1e-5) and not found.notes
    # f(x) is the model's own prediction, through the registry's encoding (the Predict path)
    rows, _, _ = predict_sequences(checkpoint, ["q"], [sequence])
    if CASES[name][0] == "regression":
        assert found.score == pytest.approx(rows[0]["prediction"], abs=1e-5)
    elif CASES[name][0] != "residue":
        p = rows[0][f"p_{found.target.name}"]
        assert found.score == pytest.approx(np.log(p / (1 - p)), abs=1e-3)


def test_default_targets_and_their_words(runs):
    assert attribute(runs["cnn-tokens"][0], runs["cnn-tokens"][1]).target.describe == "log-odds of '1'"
    found = attribute(runs["mlp-dpc"][0], runs["mlp-dpc"][1], "saliency")
    assert found.target.name == found.prediction["label"]  # multi-class: the predicted class
    labels = attribute(runs["mlp-onehot-multilabel"][0], runs["mlp-onehot-multilabel"][1])
    probabilities = labels.prediction["probabilities"]
    assert labels.target.name == max(probabilities, key=probabilities.get)  # the most probable label
    value = attribute(runs["linear-aac_length"][0], runs["linear-aac_length"][1])
    assert value.target.describe == "predicted value" and "value" in value.prediction
    residue = attribute(runs["window_mlp-window"][0], runs["window_mlp-window"][1], target="E", position=3)
    assert residue.target.describe == "log-odds of 'E' at residue 3"


def test_a_linear_model_on_composition_has_exact_attributions_and_saliency_agrees(runs):
    checkpoint, sequence = runs["linear-aac_length"]
    ig, saliency = attribute(checkpoint, sequence, "ig"), attribute(checkpoint, sequence, "saliency")
    np.testing.assert_allclose(ig.scores, saliency.scores, atol=1e-6)  # a linear function: one step is exact
    assert np.isnan(saliency.delta) and saliency.steps == 0
    same = [i for i, c in enumerate(sequence) if c == sequence[0]]  # a composition sees no order
    np.testing.assert_allclose(ig.scores[same], ig.scores[same[0]], atol=1e-7)


def test_a_window_model_looks_only_inside_its_window(runs):
    checkpoint, sequence = runs["window_mlp-window"]
    scores = attribute(checkpoint, sequence, "ig", position=10).scores
    w = 2  # tests.test_engine.SMALL's window
    assert np.abs(scores[10 - 1 - w:10 + w]).max() > 0
    assert not scores[:10 - 1 - w].any() and not scores[10 + w:].any()


# --- saturation mutagenesis ----------------------------------------------------------------------

def log_odds(p: np.ndarray, others: np.ndarray) -> np.ndarray:
    return np.log(p.astype(np.float64)) - np.log(others.astype(np.float64))


@pytest.mark.parametrize("name", ["cnn-tokens", "mlp-dpc", "linear-aac_length", "window_mlp-window",
                                  "mlp-onehot-multilabel", "transformer-physchem-ce"])
def test_saturation_mutagenesis_is_the_predict_paths_prediction_of_each_mutant(runs, name):
    checkpoint, sequence = runs[name]
    sequence, task = sequence[:25], CASES[name][0]
    found = saturation_mutagenesis(checkpoint, sequence, batch_size=64, **options(name))
    assert found.effects.shape == (20, len(sequence))
    mutants = [sequence[:i] + a + sequence[i + 1:] for i in range(len(sequence)) for a in alphabet.ALPHABET]
    direct = predicted_target(checkpoint, mutants, task, found.target.name)  # (L * 20,), position-major
    np.testing.assert_allclose(found.effects.T.ravel() + found.wild_type_score, direct, atol=2e-4)
    wild_type = [alphabet.ALPHABET.index(r) for r in sequence]
    assert not found.effects[wild_type, np.arange(len(sequence))].any()  # exactly 0 at the wild type


def predicted_target(checkpoint: str, sequences: list[str], task: str, name: str) -> np.ndarray:
    """The target of each sequence from the Predict path's probabilities (residue 7's, per residue)."""
    model = load_explainable(checkpoint)
    data, _, _ = to_data([str(i) for i in range(len(sequences))], sequences, model.seq_len)
    out = predict(model.model, to_device(data, model.device, model.config.encoding), np.arange(len(sequences)),
                  model.config.encoding, task, scored_only=False)
    outputs = np.empty((len(sequences), *out.outputs.shape[1:]))
    if task == "residue":
        at = out.position == 6
        outputs[out.rows[out.protein[at]]] = out.outputs[at]
    else:
        outputs[out.rows] = out.outputs
    if task == "regression":
        return outputs
    p = outputs[:, list(model.classes).index(name)]
    return np.log(p) - np.log(1 - p if task == "multilabel" else outputs.sum(1) - p)


# --- refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, request_, message", [
    ("cnn-tokens", dict(sequence="MKT1AY"), "'1' at position 4 is not an amino-acid letter"),
    ("cnn-tokens", dict(sequence="ACGTACGTACGTAGCT"), "looks like DNA/RNA"),
    ("cnn-tokens", dict(sequence="  "), "empty sequence"),
    ("cnn-tokens", dict(sequence=None), "the sequence is NoneType, not text"),
    ("cnn-tokens", dict(target="soluble"), "this model has no class 'soluble'. Fix: choose one of: 0, 1"),
    ("cnn-tokens", dict(position=3), "makes one prediction per protein"),
    ("linear-aac_length", dict(target="0"), "a regression model has one output"),
    ("mlp-onehot-multilabel", dict(target="membrane"), "no label 'membrane'. Fix: choose one of: lysine"),
    ("window_mlp-window", dict(), "none was chosen to explain. Fix: give the position of a residue, from 1 to 20"),
    ("window_mlp-window", dict(position=21), "position 21 is not a residue of this 20-residue sequence"),
    ("window_mlp-window", dict(position=True), "position True is not a residue"),
    ("cnn-tokens", dict(method="deeplift"), "there is no attribution method 'deeplift'. Fix: choose one of: ig"),
    ("cnn-tokens", dict(steps=1), "steps is 1"),
])
def test_bad_requests_are_refused_in_words(runs, name, request_, message):
    checkpoint, sequence = runs[name]
    request_ = {"sequence": sequence[:20], **request_}
    with pytest.raises(ProtScopeError, match=re.escape(message)):
        attribute(checkpoint, **request_)
    if "method" not in request_ and "steps" not in request_:
        with pytest.raises(ProtScopeError, match=re.escape(message)):
            saturation_mutagenesis(checkpoint, **request_)


def test_mutagenesis_bounds_the_length_and_the_batches(runs, monkeypatch):
    checkpoint, sequence = runs["cnn-tokens"]
    for bad in (0, 5000, True, 2.5):
        with pytest.raises(ProtScopeError, match="batch size .* is not a number of mutants"):
            saturation_mutagenesis(checkpoint, sequence, batch_size=bad)
    monkeypatch.setattr(mutagenesis, "MAX_RESIDUES", 10)
    with pytest.raises(ProtScopeError, match=r"of 11 residues would predict 220 mutants; ProtScope does at most 10"):
        saturation_mutagenesis(checkpoint, sequence[:11])


def test_a_sequence_longer_than_the_model_was_trained_on_is_cut_and_says_so(runs):
    checkpoint, sequence = runs["cnn-tokens"]
    width = load_explainable(checkpoint).seq_len
    found = attribute(checkpoint, (sequence * 10)[:width + 5], "saliency")
    assert len(found.scores) == width and f"more than the {width} the model was trained on" in found.notes[0]


def test_an_encoding_without_a_one_hot_twin_refuses_attribution_but_not_mutagenesis(runs, monkeypatch):
    from protscope.explain import onehot

    monkeypatch.delitem(onehot.DIFFERENTIABLE, "dpc")
    checkpoint, sequence = runs["mlp-dpc"]
    with pytest.raises(ProtScopeError, match="cannot yet attribute predictions to residues through the 'dpc'"):
        attribute(checkpoint, sequence)
    assert saturation_mutagenesis(checkpoint, sequence[:10]).effects.shape == (20, 10)


def test_a_missing_checkpoint_is_refused(tmp_path):
    with pytest.raises(ProtScopeError, match="checkpoint not found"):
        attribute(tmp_path / "none.pt", "MKV")


# --- in the background ---------------------------------------------------------------------------

def test_an_explanation_runs_in_the_background_with_progress(runs):
    checkpoint, sequence = runs["transformer-tokens"]
    task = start_explanation(checkpoint, sequence, position=5)
    result = task.wait(60)
    assert task.done and task.progress == 1.0 and not task.error
    assert result.attribution.target == result.mutagenesis.target and not result.skipped
    assert task.attribution is result.attribution  # there before the mutagenesis, for the page to show
    failed = start_explanation(checkpoint, sequence)  # no position for a per-residue model
    assert failed.wait(60) is None and "none was chosen to explain" in failed.error


def test_a_long_sequence_gets_its_attribution_and_says_why_there_is_no_mutagenesis(runs, monkeypatch):
    monkeypatch.setattr(mutagenesis, "MAX_RESIDUES", 10)
    monkeypatch.setattr(task_module, "MAX_RESIDUES", 10)
    result = start_explanation(*runs["cnn-tokens"]).wait(60)
    assert result.mutagenesis is None and "stops at 10 residues" in result.skipped


def test_a_stopped_explanation_says_so(runs):
    with pytest.raises(ProtScopeError, match="saturation mutagenesis was stopped before it finished"):
        explain(*runs["mlp-dpc"], should_stop=lambda: True)


# --- the command line ----------------------------------------------------------------------------

def test_the_command_prints_the_prediction_and_the_top_residues(runs):
    checkpoint, sequence = runs["cnn-tokens"]
    done = cli("explain", "--checkpoint", checkpoint, "--sequence", sequence, "--top", "3")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("prediction: ") and lines[1] == "explained: log-odds of '1'"
    assert "Integrated Gradients, 64 steps: the scores add up to" in done.stdout
    top = lines[lines.index("  position  residue     score") + 1:]
    assert len(top) == 3 and all(sequence[int(line.split()[0]) - 1] == line.split()[1] for line in top)


def test_the_command_reads_a_run_from_the_store_and_prints_json(runs, tiny, tmp_path):
    data, split = tiny["binary"]
    store = RunStore(tmp_path / "runs.db")
    trainer = Trainer(config(epochs=1), data, split, run_dir=tmp_path / "r1", run_id="r1")
    recorder = record_in_background(trainer, store)
    trainer.run()
    recorder.join(30)
    sequence = data.sequences[0]
    done = cli("explain", "--run", "r1", "--db", str(tmp_path / "runs.db"), "--sequence", sequence, "--json")
    result = json.loads(done.stdout)
    assert result["run"] == "r1" and result["method"] == "ig" and len(result["scores"]) == len(sequence)
    ism = json.loads(cli("explain", "--run", "r1", "--db", str(tmp_path / "runs.db"), "--sequence", sequence[:15],
                         "--method", "ism", "--json").stdout)
    assert np.asarray(ism["matrix"]).shape == (20, 15) and ism["amino_acids"] == alphabet.ALPHABET
    text = cli("explain", "--run", "r1", "--db", str(tmp_path / "runs.db"), "--sequence", sequence[:15],
               "--method", "ism", "--top", "2").stdout
    assert "every single substitution at each of 15 positions" in text and len(text.splitlines()) == 6
    missing = cli("explain", "--run", "nope", "--db", str(tmp_path / "runs.db"), "--sequence", sequence)
    assert missing.returncode == 2 and "no run 'nope' in the run store" in missing.stderr


@pytest.mark.parametrize("args, message", [
    (["--sequence", "MKV"], "one of the arguments --run --checkpoint is required"),
    (["--checkpoint", "x.pt"], "--method ig explains one sequence. Fix: give it with --sequence"),
    (["--checkpoint", "x.pt", "--sequence", "MKV"], "checkpoint not found"),
    (["--checkpoint", "x.pt", "--sequence", "MKV", "--method", "shap"], "invalid choice: 'shap'"),
])
def test_the_command_refuses_bad_flags_with_one_line(args, message):
    done = cli("explain", *args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_a_new_method_is_one_registry_entry(runs, monkeypatch):
    from protscope.cli import explain as command

    entry = command.ExplainMethod("the residues in a window", lambda args: {"window": args.sequence[:3]},
                                  lambda result, args: f"window {result['window']}")
    monkeypatch.setitem(command.METHODS, "window", entry)
    done = cli("explain", "--checkpoint", runs["cnn-tokens"][0], "--sequence", "MKVLA", "--method", "window")
    assert done.stdout.strip() == "window MKV"
