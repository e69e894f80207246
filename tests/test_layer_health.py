"""The layer health rules, each a pure function of recorded statistics, on hand-made records."""
from protscope.evaluation import layer_health as lh
from protscope.evaluation.diagnosis import HIGHER_LR, diagnose_run

LAYERS = [{"name": "convs.0", "kind": "Conv1d", "activation": "relu", "parameters": 1000},
          {"name": "convs.1", "kind": "Conv1d", "activation": "relu", "parameters": 1000},
          {"name": "head", "kind": "Linear", "activation": "", "parameters": 100}]
HEALTHY = {"w_std": 0.05, "g_norm": 0.3, "ratio": 1e-3, "dead": 0.02, "saturated": None, "nonfinite": False}


def internals(changes=lambda step, name: {}, steps=range(10, 110, 10)) -> dict:
    """Ten records, one per epoch (step 10 is epoch 1), healthy but for `changes(step, name)`."""
    records = [{"step": s, "epoch": s / 10, "lr": 1e-3, "g_total": 0.5,
                "layers": {layer["name"]: {**HEALTHY, **changes(s, layer["name"])} for layer in LAYERS}}
               for s in steps]
    return {"layers": LAYERS, "records": records}


def rules(found) -> list[str]:
    return [w.rule for w in found]


def test_a_healthy_run_raises_nothing():
    assert lh.layer_warnings(internals()) == []
    rows = lh.health_rows(internals())
    assert [r["name"] for r in rows] == ["convs.0", "convs.1", "head"]
    assert rows[0]["ratio_status"] == "good" and rows[0]["dead_status"] == "good" and len(rows[0]["ratio_series"]) == 10


def test_dead_units_since_the_epoch_they_died():
    found = lh.dead_units(internals(lambda s, n: {"dead": 0.58} if n == "convs.0" and s >= 30 else {}))
    assert rules(found) == ["dead_units"] and found[0].layers == ("convs.0",)
    assert found[0].message.startswith("convs.0: 58 % of units dead since epoch 3 (they output 0 for every input")
    assert "lower the learning rate, use leaky ReLU or He (kaiming) initialisation" in found[0].message
    # a spike that recovered is not a sustained problem
    assert lh.dead_units(internals(lambda s, n: {"dead": 0.9} if s == 30 else {})) == []


def test_one_warning_for_several_layers():
    found = lh.dead_units(internals(lambda s, n: {"dead": 0.4 if n == "convs.0" else 0.7} if n != "head" else {}))
    assert len(found) == 1 and found[0].layers == ("convs.0", "convs.1")
    assert "40 % to 70 %" in found[0].message


def test_exploding_gradients_at_their_step():
    found = lh.exploding({"layers": LAYERS, "records": [
        {**r, "g_total": 80.0 if r["step"] == 120 else 2.0} for r in internals(steps=range(10, 200, 10))["records"]]})
    assert rules(found) == ["exploding"] and found[0].step == 120
    assert found[0].message.startswith("exploding gradients at step 120")
    assert "clip the gradient norm" in found[0].message


def test_non_finite_weights_are_an_error():
    found = lh.layer_warnings(internals(lambda s, n: {"nonfinite": True} if s >= 50 and n == "head" else {}))
    assert found[0].rule == "not_finite" and found[0].severity == "error" and found[0].step == 50


def test_saturated_tanh():
    tanh = [{**layer, "activation": "tanh"} for layer in LAYERS]
    data = internals(lambda s, n: {"dead": None, "saturated": 0.35})
    found = lh.saturated({**data, "layers": tanh})
    assert rules(found) == ["saturated"] and "35 %" in found[0].message and "near ±1" in found[0].message


def test_update_ratio_too_large_and_too_small():
    assert rules(lh.update_size(internals(lambda s, n: {"ratio": 0.5} if n == "head" else {}))) == ["too_fast"]
    slow = lh.update_size(internals(lambda s, n: {"ratio": 1e-7} if n == "convs.1" else {}))
    assert rules(slow) == ["too_slow"] and slow[0].severity == "info"
    assert lh.update_size(internals(lambda s, n: {"ratio": 0.0})) == []  # frozen layers are not told to learn faster
    assert lh.ratio_status(1e-3) == "good" and lh.ratio_status(5e-2) == "watch" and lh.ratio_status(1.0) == "bad"


def test_vanishing_names_the_layers_and_the_activations():
    sig = [{**layer, "activation": "sigmoid" if layer["name"] != "head" else ""} for layer in LAYERS]
    data = internals(lambda s, n: {"g_norm": {"convs.0": 1e-6, "convs.1": 1e-4, "head": 0.3}[n],
                                         "ratio": 1e-7 if n != "head" else 1e-3})
    found = lh.layer_warnings({**data, "layers": sig})
    assert rules(found) == ["vanishing"]  # the tiny ratios are explained by it, not reported again
    assert "vanishing gradients, sigmoid activations at depth 2" in found[0].message


def test_the_diagnosis_says_what_the_layers_show():
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1 / e + 0.1} for e in range(1, 6)]
    sick = internals(lambda s, n: {"dead": 0.6} if n == "convs.1" else {})
    d = diagnose_run(history, internals=sick)
    assert len(d.inside) == 1 and "dead" in d.inside[0] and d.to_dict()["inside"] == list(d.inside)
    assert diagnose_run(history, internals={"layers": [], "records": []}).inside == ()


def test_every_gradient_zero_is_a_stalled_run_and_a_frozen_layer_is_not():
    stuck = internals(lambda s, n: {"g_norm": 0.0, "ratio": 0.0} if s >= 40 else {})
    found = lh.layer_warnings(stuck)
    assert rules(found)[0] == "stalled" and found[0].severity == "error"
    assert "since step 40 (epoch 4)" in found[0].message and "more epochs will not help" in found[0].message
    assert "too_slow" not in rules(found)  # a ratio of 0 is not "too slow", it is nothing
    frozen = internals(lambda s, n: {"g_norm": None, "ratio": 0.0} if n == "convs.0" else {})
    assert lh.layer_warnings(frozen) == []  # no gradient at all: frozen on purpose
    assert lh.health_rows(frozen)[0]["ratio_status"] == "none"
    assert lh.health_rows(stuck)[0]["ratio_status"] == "bad"
    once = internals(lambda s, n: {"g_norm": 0.0} if s == 100 else {})
    assert lh.layer_warnings(once) == []  # one record is no trend


def test_the_diagnosis_leaves_out_advice_the_layer_statistics_contradict():
    flat = [{"epoch": e, "train_loss": 0.69 - 0.001 * e, "val_loss": 0.70 - 0.001 * e} for e in range(1, 8)]
    plain = diagnose_run(flat, chance_loss=0.6931)
    assert HIGHER_LR in plain.suggestions and any(s.startswith("Train for more") for s in plain.suggestions)
    dead = diagnose_run(flat, chance_loss=0.6931, internals=internals(lambda s, n: {"dead": 0.9}))
    assert HIGHER_LR not in dead.suggestions and "dead" in dead.inside[0]  # too high a rate kills units
    stuck = diagnose_run(flat, chance_loss=0.6931, internals=internals(lambda s, n: {"g_norm": 0.0, "ratio": 0.0}))
    assert not any(s.startswith("Train for more") for s in stuck.suggestions) and "stalled" in stuck.inside[0]
    slow = diagnose_run(flat, chance_loss=0.6931, internals=internals(lambda s, n: {"ratio": 1e-7}))
    assert HIGHER_LR in slow.suggestions  # tiny updates agree with it
