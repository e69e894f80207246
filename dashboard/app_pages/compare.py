"""Compare page: every stored run (dashboard, command line, sweeps) in one table; overlaid curves,
seed groups as mean ± sd, and a parallel-coordinates view of settings against a metric."""
from collections.abc import Callable
from functools import partial

import streamlit as st

from dashboard import session
from dashboard.logic import charts
from dashboard.logic import comparison as cmp
from dashboard.session import owner_label
from dashboard.state import run_store
from dashboard.sweep_form import draw as sweep_form
from protscope.evaluation.metrics import SPREAD_KEYS, one_class
from protscope.runs.store import RunStore
from protscope.serialise import csv_text
from protscope.status import LIVE

LIVE_S = 2.0


def curves(ids: list[str], keys: list[str], was_going: bool) -> None:
    """The curves of the selected runs, read afresh from the store: while any of them is still going,
    this part alone is redrawn every LIVE_S seconds (a sweep fills in as it trains)."""
    store = run_store()
    chosen = [store.get_run(i) for i in ids]
    going = any(r.get("status") in LIVE for r in chosen)
    histories = store.histories(ids)
    st.subheader("Curves" + (" (live)" if going else ""))
    names = cmp.metric_names(list(histories.values())) or ["val_loss"]
    a, b, c, d = st.columns(4)
    metric = a.selectbox("Metric", names, key="cmp_metric")
    x_axis = b.radio("x axis", ["epoch", "time"], horizontal=True, key="cmp_x",
                     format_func={"epoch": "epoch", "time": "wall time (s)"}.get)
    smoothing = c.slider("Smoothing (EMA)", 0.0, 0.95, 0.0, 0.05, key="cmp_smoothing")
    varying = cmp.differing(cmp.run_rows(chosen), keys)
    colour_by = d.selectbox("Colour by", ["run", *[k for k in varying if k != cmp.SEED_FIELD]], key="cmp_colour")
    groups = cmp.seed_groups(chosen)
    group_seeds = any(len(g) > 1 for g in groups) and st.toggle(
        "Group runs that differ only in seed (mean ± sd)", value=True, key="cmp_group")
    if group_seeds:
        bands = []
        for i, (group, name) in enumerate(zip(groups, cmp.group_labels(groups, varying))):
            x, mean, sd = cmp.mean_band([histories[r["id"]] for r in group], metric)
            bands.append({"name": name, "x": x, "mean": mean, "sd": sd, "colour": charts.colour_of(i)})
        st.plotly_chart(charts.mean_bands(bands, metric, metric), key="cmp_bands", width="stretch")
    else:
        values = sorted({str(cmp.flat_config(r["config"]).get(colour_by)) for r in chosen})
        lines = []
        names = cmp.line_labels(chosen, varying, lead=None if colour_by == "run" else colour_by)
        for i, r in enumerate(chosen):
            x, y = cmp.series(histories[r["id"]], metric, x_axis)
            key = str(cmp.flat_config(r["config"]).get(colour_by))
            colour = charts.colour_of(i if colour_by == "run" else values.index(key))
            lines.append({"name": names[i], "x": x, "y": y, "colour": colour})
        st.plotly_chart(charts.overlay(lines, metric, "epoch" if x_axis == "epoch" else "seconds", metric,
                                       smoothing), key="cmp_overlay", width="stretch")
    if was_going and not going:
        st.rerun()  # the whole page: the table and final metrics change when the last run ends


def on_download(store: RunStore, write: Callable[[dict[str, list[dict]]], str], ids: list[str]) -> Callable[[], str]:
    """A download's content, written from the store when its button is clicked, not on every rerun:
    serialising every curve each time cost more than the rest of the page."""
    def content() -> str:
        try:
            return write(store.histories(ids))
        finally:
            store.close()  # Streamlit calls this in a server thread: that thread's connection, not the page's

    return content


def run_note(run: dict) -> str:
    """What the numbers do not say: a classifier that predicts one class, undefined test metrics."""
    test = (run.get("metrics") or {}).get("test") or {}
    notes = []
    k = one_class(test)
    if k is not None:
        classes = run.get("classes") or []
        notes.append(f"predicts one class ({classes[k] if k < len(classes) else k})")
    undefined = [m for m in ("mcc", "f1", "r2", "spearman", "roc_auc") if m in test and test[m] is None]
    if undefined:
        notes.append("undefined: " + ", ".join(undefined))
    return "; ".join(notes)


st.title("Compare runs")
ws = session.workspace()
sweep_form()
store = run_store()
whose = st.radio("Runs", ["mine", "everyone"], horizontal=True, key="cmp_whose",
                 format_func={"mine": "Mine", "everyone": "Everyone's (classmates, command line, sweeps)"}.get)
runs = store.list_runs(owner=ws.owner if whose == "mine" else None)
if not runs and whose == "mine" and store.list_runs():
    st.info("You have no stored runs yet; choose **Everyone's** to see the runs of others on this server.")
    st.stop()
if not runs:
    st.info("No stored runs yet. Every run you train (here, from the command line or in a sweep) is kept and "
            "listed here.")
    st.page_link("app_pages/train.py", label="Go to the Train page", icon=":material/monitoring:")
    st.stop()

asked = st.session_state.get("compare_tag")  # another page (a lesson card) asked for these runs
if asked:  # shown through the widget's index: a value set in session state would not reach a new widget
    st.session_state.pop("cmp_tag", None)
a, b, c = st.columns(3)
datasets = sorted({r.get("dataset", "") for r in runs})
chosen_data = a.multiselect("Datasets", datasets, default=datasets, key="cmp_datasets")
tags = sorted({t for r in runs for t in r.get("tags", [])} | ({st.session_state.cmp_tag} - {"(any)"}
                                                            if st.session_state.get("cmp_tag") else set()) | (
    {asked} if asked else set()))
chosen_tag = b.selectbox("Tag", ["(any)", *tags], key="cmp_tag", index=tags.index(asked) + 1 if asked else 0,
                         help="Sweeps tag their runs sweep:<name>; add your own with `python -m protscope runs tag`.")
st.session_state.pop("compare_tag", None)  # only now: a run interrupted before the widget keeps the request
text = c.text_input("Name contains", key="cmp_text")
runs = [r for r in runs if r.get("dataset", "") in chosen_data and (chosen_tag == "(any)" or chosen_tag in r.get(
    "tags", [])) and text.lower() in (r.get("name") or r["id"]).lower()]
rows = cmp.run_rows(runs)
for row, run in zip(rows, runs):
    row["owner"] = owner_label(run.get("owner", ""), run.get("owner_name", ""), ws.owner)
    row["note"] = run_note(run)
keys = cmp.config_keys(runs)
metrics = sorted({k for r in runs for k in cmp.final_metrics(r)  # not config fields such as val_fraction
                  if not k.endswith(SPREAD_KEYS)})

with st.expander("Filter by any setting or metric"):
    column = st.selectbox("Column", ["(none)", *keys, *metrics], key="cmp_filter_col")
    if column != "(none)":
        values = sorted({str(r.get(column)) for r in rows})
        keep = st.multiselect("Keep runs where it is", values, default=values, key=f"cmp_filter_{column}")
        rows = [r for r in rows if str(r.get(column)) in keep]
        runs = [r for r in runs if r["id"] in {row["id"] for row in rows}]
if not rows:
    st.warning("No run matches these filters.")
    st.stop()

only_diff = st.toggle("Differences only", value=True, key="cmp_diff",
                      help="Hide settings that are the same in every run shown.")
shown_keys = cmp.differing(rows, keys) if only_diff else keys
columns = ["name", "owner", "status", "note", "reason", "dataset", *shown_keys, *metrics]
picked = st.dataframe([{k: r.get(k) for k in columns} for r in rows], hide_index=True, width="stretch",
                      on_select="rerun", selection_mode="multi-row", key="cmp_table")
st.caption("Click a column header to sort. Select rows to compare only those; with none selected, all are shown.")
selection = picked.selection.rows if picked and picked.selection else []
selected = [runs[i] for i in selection] or runs
was_going = any(r.get("status") in LIVE for r in selected)
st.fragment(run_every=LIVE_S if was_going else None)(curves)([r["id"] for r in selected], keys, was_going)
varying = cmp.differing(cmp.run_rows(selected), keys)
groups = cmp.seed_groups(selected)

if metrics:
    st.subheader("Final metrics over seeds")
    final = [m for m in metrics if m.startswith("test_")] or metrics
    summary = cmp.summary_rows(groups, varying, final)
    st.dataframe([{"group": s["group"], "runs": s["runs"], **{m: s[f"{m} (mean ± sd)"] for m in final}}
                  for s in summary], hide_index=True, width="stretch")
    params = [k for k in varying if k != cmp.SEED_FIELD]
    if params:
        target = st.selectbox("Parallel coordinates: colour by", final, key="cmp_parallel_metric")
        st.plotly_chart(charts.parallel(cmp.run_rows(selected), params, target), key="cmp_parallel", width="stretch")

st.subheader("Export")
ids = [r["id"] for r in selected]
a, b, c = st.columns(3)
a.download_button("Run table (CSV)", partial(csv_text, [{k: r.get(k) for k in columns} for r in rows]),
                  file_name="protscope-runs.csv", mime="text/csv", on_click="ignore")
b.download_button("Curves (CSV)", on_download(store, cmp.curves_csv, ids), file_name="protscope-curves.csv",
                  mime="text/csv", on_click="ignore")
c.download_button("Runs and curves (JSON)", on_download(store, partial(cmp.runs_json, selected), ids),
                  file_name="protscope-runs.json", mime="application/json", on_click="ignore")
