"""The "Layer health" view of a run (docs/INTERNALS.md): the warnings in plain words, one table row per
layer against the rules of thumb, and for the layer clicked in the table its distributions over training;
other runs of the same network (other seeds) can be overlaid. `live_section` (Train's live fragment) and
`section` (Evaluate; a stored run on Train) call `show`, in expanders built only while open. Its charts
(dashboard.logic.layer_charts and layer_distributions) are rebuilt only for new records or choices."""
from __future__ import annotations

import time

import streamlit as st

from dashboard.logic import layer_charts as lc
from dashboard.logic import layer_distributions as ld
from dashboard.view_memo import LIVE_REDRAW_S, lazy_expander, memo, taken_in
from protscope.evaluation.layer_health import health_rows, layer_warnings

WHICH = ("weights", "gradients", "activations")
NOT_RECORDED = ("**Layer statistics were not recorded for this run.** Either `training.layer_stats` was off, or the "
                "run is from before ProtScope recorded them: train it again to see how each layer learns.")


def show(internals: dict, grad_clip: float = 0.0, key: str = "layers", compare: dict | None = None,
         label: str = "this run", live: bool = False) -> None:
    if not internals.get("records"):
        st.info("Layer statistics appear after the first optimizer step." if live else NOT_RECORDED)
        return
    sign, runs = taken_in(key, {label: internals, **(compare or {})}, live)
    internals, records = runs[label], runs[label]["records"]
    last = records[-1]
    rows, warnings = memo(key, "rules", sign, lambda: (health_rows(internals), layer_warnings(internals, grad_clip)))
    for w in warnings:
        {"error": st.error, "warning": st.warning}.get(w.severity, st.info)(w.message)
    st.caption(f"{len(rows)} layers, input to output · {len(records)} records · latest: **step {last['step']}** "
               f"(epoch {last['epoch']:.2f})" + (", updating while it trains" if live else "")
               + ("" if warnings else " · no layer breaks a rule of thumb"))
    table = memo(key, "table", sign, lambda: lc.health_table(rows, warnings))
    picked = st.dataframe(table, key=f"{key}_table", on_select="rerun", selection_mode="single-row", hide_index=True,
                          column_config=_columns(), width="stretch", height=min(38 + 35 * len(rows), 640),
                          placeholder="–")
    st.caption(lc.RULES_OF_THUMB)
    chosen = lc.chosen_layer(rows, warnings, picked.selection.rows if picked is not None else [])
    name = chosen["name"]
    a, b = st.columns(2)
    a.plotly_chart(memo(key, "flow", sign, lambda: lc.gradient_flow(runs)), key=f"{key}_flow", width="stretch")
    a.caption("Each run's gradients at its latest step. Rule of thumb: input-side layers whose gradients are 100× "
              "smaller than the output layer's hardly learn (vanishing gradients).")
    b.plotly_chart(memo(key, "ratios", (sign, name), lambda: lc.ratio_over_time(runs, name) if len(runs) > 1 else
                         lc.ratio_over_time(runs, highlight=name)), key=f"{key}_ratios", width="stretch")
    st.markdown(f"##### Layer {chosen['index']}: {name} ({chosen.get('kind', '')}"
                + (f", {chosen['activation']}" if chosen.get("activation") else "") + ")")
    st.caption("Click a row of the table to see another layer.")
    which = st.radio("Show its", WHICH, key=f"{key}_which", horizontal=True,
                     help="Weights: the layer's weights after each step. Gradients: what each step pushed them "
                          "by. Activations: what the layer outputs, after its activation function.")
    shown = sign, name, which
    a, b = st.columns(2)
    a.plotly_chart(memo(key, "heat", shown, lambda: ld.distribution_heatmap(internals, name, which)),
                   key=f"{key}_heat", width="stretch")
    b.plotly_chart(memo(key, "bands", shown, lambda: ld.percentile_bands(runs, name, which)),
                   key=f"{key}_bands", width="stretch")


def live_section(job, snap, running: bool) -> None:
    """On the Train page's live view, below the curves; the worst warning shows above it, open or not."""
    internals, key, grad_clip = snap.internals(), f"layers_{job.run_id}", job.config.training.grad_clip
    found = memo(f"{key}_headline", "found", len(internals.get("records") or ()),
                 lambda: layer_warnings(internals, grad_clip))
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        {"error": st.error, "warning": st.warning}.get(found[0].severity, st.info)(
            f"**Inside the network{more}:** {found[0].message} Open *Layer health* below to see it.")
    with lazy_expander("Layer health: how each layer learns", "layer_health_open") as opened:
        if opened:
            compare = overlay_picker(internals, job.run_id, job.config.to_dict()["model"], key)
            show(internals, grad_clip, key, compare, live=running)


def section(record, key: str) -> None:
    """A stored run's "Layer health" (Evaluate; a stored run on Train), with other runs to overlay; its
    label says what the rules of thumb found, so a closed one still tells."""
    internals, grad_clip = internals_of(record), (record.config.get("training") or {}).get("grad_clip", 0.0)
    found = memo(key, "label", len(internals.get("records") or ()), lambda: layer_warnings(internals, grad_clip))
    label = lc.summary(internals, found)
    with lazy_expander(label, f"{key}_open", ":material/warning:" if found else ":material/stethoscope:") as opened:
        if opened:
            compare = overlay_picker(internals, record.id, record.config.get("model") or {}, key)
            show(internals, grad_clip, key, compare, label=lc.run_label(record) + " (this run)", live=not record.done)



def overlay_picker(internals: dict, run_id: str, model: dict, key: str) -> dict[str, dict]:
    """Other finished runs of the same network (the same model settings) the user chose to overlay."""
    from dashboard.state import repository

    if not internals.get("records"):
        return {}
    others = memo(key, "others", int(time.monotonic() // LIVE_REDRAW_S), lambda: {  # the store, not every second
        r.id: r for r in repository().runs() if r.done and r.id != run_id and r.config.get("model") == model})
    if not others:
        st.caption("To compare, train this network again (another seed, say): its layers can then be overlaid here.")
        return {}
    chosen = st.multiselect("Overlay other runs of this network", list(others), key=f"{key}_overlay",
                            format_func=lambda r: lc.run_label(others[r]), placeholder="other seeds, say",
                            help="Finished runs with the same model settings: their gradient flow and percentile "
                                 "bands are drawn over this run's, each in its own colour.")
    out = {}
    for other in (others[r] for r in chosen if r in others):
        loaded = internals_of(other)
        if lc.same_layers(internals, loaded):
            out[lc.run_label(other)] = loaded
        else:
            st.caption(f"{lc.run_label(other)} is not overlaid: " + ("it recorded no layer statistics."
                       if not loaded.get("records") else "its layers differ from this run's."))
    return out


@st.cache_resource(max_entries=32, show_spinner=False)
def _finished_internals(db: str, run_id: str, ended: float) -> dict:  # noqa: ARG001 - db and ended key the cache
    from dashboard.state import repository

    return repository().internals(run_id)


def internals_of(record) -> dict:
    """A finished run's statistics never change: read once (a run still going: every time)."""
    from dashboard.state import repository

    repo = repository()
    if record.done and record.ended:
        return _finished_internals(str(repo.store.path), record.id, record.ended)
    return repo.internals(record.id)


def _columns() -> dict:
    cfg, helps = st.column_config, lc.COLUMN_HELP
    out = {name: cfg.NumberColumn(name, format=fmt, help=helps[name]) for name, fmt in lc.NUMBER_FORMATS.items()}
    out.update({name: cfg.NumberColumn(name, format=lc.NUMBER_FORMATS[name], help=helps[name], width=width)
                for name, width in lc.NARROW.items() if name in lc.NUMBER_FORMATS})
    return {**out, "#": cfg.NumberColumn("#", help=helps["#"], width=40),
            **{name: cfg.TextColumn(name, help=helps[name], width=lc.NARROW[name]) for name in ("kind", "activation")},
            "health": cfg.MultiselectColumn("health", help=helps["health"], options=lc.HEALTH_LABELS,
                                            color=lc.HEALTH_COLOURS),
            **{name: cfg.LineChartColumn(name, help=helps[name], width=80) for name in lc.SPARKLINES}}
