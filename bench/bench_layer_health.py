"""The Layer health view's redraw: what the live view costs each time it is drawn.

Input: the most a run keeps, 200 records x 17 layers (a Transformer of three encoder blocks: embedding,
per block norm, attention, norm and a 2-layer feed-forward, and the head), synthesised in the format
the engine records (docs/INTERNALS.md), with a second run (another seed) overlaid. Timed, median of
ROUNDS: the rules (health_rows + layer_warnings), the table, each chart builder and its JSON (what
st.plotly_chart sends), and the whole view in Streamlit's AppTest: a redraw after a new record arrived
(everything rebuilt) and one with nothing new (the live fragment's usual second: the built charts are
reused). Target: a redraw with a new record under 300 ms, with nothing new under 100 ms, so the 1-second
live fragment stays responsive on a 2-core machine.

Run: `python -m bench.bench_layer_health` (writes its section of bench/README.md), `--quick` for a smoke run.
"""
from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from bench.report import Row, bench_main, fmt_time, machine_info, section_markdown, text_table

NAME = "layer_health"
README = Path(__file__).resolve().parent / "README.md"
SIZES = {"full": dict(records=200, rounds=9), "quick": dict(records=20, rounds=2)}
NEW_RECORD_TARGET_S, UNCHANGED_TARGET_S = 0.300, 0.100
SAMPLE = 32_768  # values a histogram is made from (docs/INTERNALS.md)
Z = np.array([-3.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 3.0])  # pct: min, 7 ... 93 %, max of a normal


def transformer_layers(blocks: int = 3) -> list[dict]:
    """17 layers for 3 blocks, in network order, as the engine lists them."""
    layers = [{"name": "embed", "kind": "Embedding", "activation": "", "parameters": 1408}]
    for b in range(blocks):
        layers += [{"name": f"encoder.{b}.norm1", "kind": "LayerNorm", "activation": "", "parameters": 128},
                   {"name": f"encoder.{b}.attention", "kind": "MultiheadAttention", "activation": "",
                    "parameters": 16640},
                   {"name": f"encoder.{b}.norm2", "kind": "LayerNorm", "activation": "", "parameters": 128},
                   {"name": f"encoder.{b}.feed_forward.0", "kind": "Linear", "activation": "relu", "parameters": 8320},
                   {"name": f"encoder.{b}.feed_forward.3", "kind": "Linear", "activation": "", "parameters": 8256}]
    return layers + [{"name": "head", "kind": "Linear", "activation": "", "parameters": 65}]


def synthetic_internals(records: int = 200, layers: list[dict] | None = None, seed: int = 0,
                        spike: bool = False) -> dict:
    """Layer statistics in the engine's format: weights spreading slowly, gradients and update ratios
    shrinking as training settles. With `spike`, the second record's weights and gradients are 50x wider
    (an early blow-up that the value axes should not follow)."""
    rng = np.random.default_rng(seed)
    layers = layers or transformer_layers()
    steps = np.unique(np.linspace(1, 30 * records, records).astype(int))
    out = []
    for i, step in enumerate(steps):
        wide = 50.0 if spike and i == 1 else 1.0
        settle = 1.0 / math.sqrt(1 + i / 10)
        entries = {}
        for depth, layer in enumerate(layers):
            w_std = (0.5 if layer["kind"] == "LayerNorm" else 0.08) * (1 + 0.002 * i) * wide
            g_std = 2e-3 * settle * (0.6 + 0.4 * depth / len(layers)) * wide * rng.uniform(0.8, 1.2)
            relu = layer["activation"] == "relu"
            entries[layer["name"]] = {
                "w_mean": 0.0, "w_std": round(w_std, 4), "w_hist": normal_hist(0.0, w_std),
                "g_norm": round(g_std * math.sqrt(layer["parameters"]), 4), "g_hist": normal_hist(0.0, g_std),
                "ratio": float(f"{1e-3 * settle * rng.uniform(0.5, 2.0):.4g}"),
                "a_mean": 0.3 if relu else None, "a_std": 0.4 if relu else None,
                "a_hist": normal_hist(0.3, 0.4, low=0.0) if relu else None,
                "dead": round(0.02 + 0.0002 * i, 4) if relu else None, "saturated": None, "nonfinite": False}
        out.append({"step": int(step), "epoch": round(i / 20, 4), "lr": 1e-3, "g_total": round(0.5 * settle * wide, 4),
                    "layers": entries})
    return {"layers": layers, "records": out}


def normal_hist(mean: float, sd: float, low: float | None = None) -> dict:
    """A histogram of SAMPLE values of a normal (cut at `low`, as a ReLU's output is), as the engine stores it."""
    pct = mean + sd * Z
    if low is not None:
        pct = np.maximum(pct, low)
    lo, hi = float(pct[0]), float(pct[-1])
    edges = np.linspace(lo, hi, 25)
    cdf = 0.5 * (1 + np.vectorize(math.erf)((edges - mean) / (sd * math.sqrt(2))))
    counts = np.diff(np.rint(cdf / (cdf[-1] - cdf[0] or 1) * SAMPLE)).astype(int)
    return {"lo": float(f"{lo:.4g}"), "hi": float(f"{hi:.4g}"), "counts": counts.tolist(),
            "pct": [float(f"{v:.4g}") for v in pct]}


def median_time(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def view_script(first: dict, second: dict, other: dict) -> None:
    """The view alone, as the live fragment draws it; `state.new` picks which of two runs-so-far it shows.
    Not marked live: a live view takes in new records at most every LIVE_REDRAW_S, which would hide the cost."""
    import streamlit as st

    from dashboard import layer_health

    internals = second if st.session_state.get("new") else first
    layer_health.show(internals, key="bench", compare={"seed 2": other})


def appview_times(first: dict, second: dict, other: dict, rounds: int) -> tuple[float, float]:
    """(a redraw after a new record, a redraw with nothing new), in AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(view_script, args=(first, second, other), default_timeout=120)
    at.run()
    if at.exception:
        raise RuntimeError(f"the Layer health view failed: {at.exception[0].message}")
    new, same = [], []
    for i in range(rounds):
        at.session_state["new"] = bool(i % 2)  # each run: a different number of records, so all is rebuilt
        began = time.perf_counter()
        at.run()
        new.append(time.perf_counter() - began)
        began = time.perf_counter()
        at.run()
        same.append(time.perf_counter() - began)
    if at.exception:
        raise RuntimeError(f"the Layer health view failed: {at.exception[0].message}")
    return statistics.median(new), statistics.median(same)


def run(quick: bool = False, log=print) -> dict:
    from dashboard.logic import layer_charts as lc
    from dashboard.logic import layer_distributions as ld
    from protscope.evaluation.layer_health import health_rows, layer_warnings

    size = SIZES["quick" if quick else "full"]
    info = machine_info()
    began = time.perf_counter()
    log("layer_health: synthesising the runs")
    internals = synthetic_internals(size["records"])
    other = synthetic_internals(size["records"], seed=1)
    earlier = {"layers": internals["layers"], "records": internals["records"][:-1]}
    runs = {"seed 1": internals, "seed 2": other}
    layer = "encoder.1.feed_forward.0"
    rows, warnings = health_rows(internals), layer_warnings(internals)
    parts = {
        "rules: `health_rows` + `layer_warnings`": lambda: (health_rows(internals), layer_warnings(internals)),
        "table: `health_table`": lambda: lc.health_table(rows, warnings),
        "`gradient_flow`, 2 runs": lambda: lc.gradient_flow(runs).to_json(),
        "`ratio_over_time`, 17 layers, one highlighted": lambda: lc.ratio_over_time(runs, highlight=layer).to_json(),
        "`distribution_heatmap` (re-binned onto one grid)": lambda: ld.distribution_heatmap(
            internals, layer, "weights").to_json(),
        "`percentile_bands`, 2 runs": lambda: ld.percentile_bands(runs, layer, "gradients").to_json(),
    }
    rows_out, total = [], 0.0
    for what, fn in parts.items():
        log(f"layer_health: {what}")
        fn()  # warm
        t = median_time(fn, size["rounds"])
        total += t
        rows_out.append(Row(what, fmt_time(t)))
    rows_out.append(Row(f"all of the above: the view's own work when a record arrives ({len(internals['records'])} "
                        f"records x {len(internals['layers'])} layers, a second run overlaid)", fmt_time(total)))
    log("layer_health: the whole view in AppTest")
    new, same = appview_times(earlier, internals, other, size["rounds"])
    rows_out.append(Row("the whole view in AppTest, a new record arrived (everything rebuilt and sent)", fmt_time(new),
                        target=f"≤ {NEW_RECORD_TARGET_S * 1e3:.0f} ms", passed=new <= NEW_RECORD_TARGET_S))
    rows_out.append(Row("the whole view in AppTest, nothing new (the built table and charts reused, sent again)",
                        fmt_time(same), target=f"≤ {UNCHANGED_TARGET_S * 1e3:.0f} ms",
                        passed=same <= UNCHANGED_TARGET_S))
    notes = ["The live fragment redraws every second while a run trains; layer records arrive every few steps "
             "(spaced to cost about 3 % of training), and a live view takes them in at most every 2 s "
             "(dashboard/layer_health.py LIVE_REDRAW_S), so at least every other redraw is of the second kind.",
             "Each chart is timed with its JSON (what st.plotly_chart sends), median of the rounds.",
             "The view is built only while its expander is open (a collapsed one costs nothing).",
             "AppTest's times include Streamlit's own work (the table's Arrow, the figures' JSON) but "
             "not the browser's drawing."]
    info["total run time"] = fmt_time(time.perf_counter() - began)
    info["mode"] = "quick (smoke sizes)" if quick else "full"
    return {"rows": rows_out, "info": info, "notes": notes}


def markdown(report: dict) -> str:
    return section_markdown("Layer health view", "`python -m bench.bench_layer_health` — the live view's redraw "
                            "on a Transformer-sized run (200 records x 17 layers).", report)


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, markdown, text_table, NAME, README, argv)


if __name__ == "__main__":
    sys.exit(main())
