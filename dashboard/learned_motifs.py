"""Evaluate's "Learned motifs": a CNN run's first-layer filters as logos, most influential first, weights
(per recorded epoch, on a slider) beside the PWM of the training windows that activate them; for the window
network, its hidden units as heat maps (Qian & Sejnowski 1988). Finding a CNN's motifs takes tens of
seconds on a CPU: it runs in the background (protscope.background) with progress, and its result is
kept for the session; the figures (dashboard.logic.motif_charts) are kept between reruns (view_memo)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.logic import motif_charts as mc
from dashboard.view_memo import memo
from protscope.background import in_background
from protscope.explain.motifs import LearnedMotifs, run_motifs, window_units

POLL_S = 0.5
SHOWN = 6  # filters drawn at first
KEPT = 3  # runs whose motifs a session keeps


def applies(record) -> bool:
    model, encoding = record.config.get("model") or {}, (record.config.get("encoding") or {}).get("name")
    return model.get("name") == "cnn" or (encoding == "window" and model.get("name") in ("window_mlp", "mlp"))


def section(record, repo) -> None:
    checkpoint = Path(record.checkpoint) if record.checkpoint else None
    if checkpoint is None or not checkpoint.is_file():
        st.info("The filters are read from the run's checkpoint, and this run has none.")
        return
    signature = (str(checkpoint), checkpoint.stat().st_mtime)
    if (record.config.get("model") or {}).get("name") != "cnn":
        _units_view(memo(f"motifs_{record.id}", "units", signature,
                         lambda: window_units(checkpoint, repo.learned(record.id))), record.id)
        return
    tasks = st.session_state.setdefault("motif_tasks", {})
    task = tasks.get(signature)
    if task is None:
        st.caption("Each first-layer filter as a logo of its weights and as the position weight matrix of the "
                   "training windows that activate it (above half its largest activation), ordered by how much "
                   "the validation predictions change when the filter's output is replaced by its mean.")
        if st.button("Find the learned motifs", key=f"motifs_start_{record.id}", icon=":material/search:",
                     help="Scans the training proteins and measures each filter's influence: tens of seconds."):
            tasks[signature] = in_background(run_motifs, repo, record.id, name="learned-motifs")
            while len(tasks) > KEPT:  # the oldest run's motifs go
                tasks.pop(next(iter(tasks)))
            st.rerun()
        return
    st.fragment(run_every=POLL_S if not task.done else None)(_progress)(task, not task.done)
    if task.done and task.error:
        st.error(task.error)
        st.button("Try again", key=f"motifs_again_{record.id}", on_click=lambda: tasks.pop(signature, None))
    elif task.done:
        _motifs_view(task.result, record.id)


def _progress(task, was_running: bool) -> None:
    if not task.done:
        st.progress(task.progress, text=f"Finding the learned motifs: {task.progress:.0%} …")
    elif was_running:
        st.rerun()  # the whole page, to draw the result and stop polling


def _epoch_choice(epochs, key: str, final_epoch: int):
    """The recorded epoch chosen on the slider (its index), or None for the checkpoint's weights."""
    options = ["checkpoint"] + [int(e) for e in epochs]
    if len(options) == 1:
        return None
    final = f"checkpoint (epoch {final_epoch})"
    picked = st.select_slider("Weights at epoch", options, value="checkpoint", key=key,
                              format_func=lambda o: final if o == "checkpoint" else str(o),
                              help="The first layer as recorded at the end of each epoch (at most 30, evenly spaced).")
    return None if picked == "checkpoint" else options.index(picked) - 1


def _motifs_view(found: LearnedMotifs, run_id: str) -> None:
    for note in found.notes:
        st.caption(note)
    shown = st.slider("Filters shown", 1, min(16, len(found.motifs)), min(SHOWN, len(found.motifs)),
                      key=f"motifs_shown_{run_id}")
    epoch = _epoch_choice(found.epochs, f"motifs_epoch_{run_id}", found.checkpoint_epoch)
    top = found.motifs[:shown]
    titles = [mc.motif_title(m) for m in top]
    key = f"motifs_{run_id}"
    a, b = st.columns(2)
    with a:
        st.markdown("**Weights** " + ("(checkpoint)" if epoch is None else f"(epoch {found.epochs[epoch]})"))
        weights = memo(key, "weights_at", epoch, lambda: found.weights_at(epoch))
        st.pyplot(memo(key, "weights", (epoch, shown), lambda: mc.weight_logos(weights, [m.filter for m in top],
                                                                               titles)), clear_figure=False)
    with b:
        st.markdown(f"**Activation PWM** (checkpoint, {found.scanned})")
        st.pyplot(memo(key, "pwms", shown, lambda: mc.pwm_logos([m.pwm for m in top], found.background, titles)),
                  clear_figure=False)
    st.caption(f"Influence: the mean change of the predictions for {found.influence_on} when the filter's output "
               "is replaced by its mean (class probabilities: total variation; values: in the label's units). "
               "Weights are centred per position; a PWM is in bits against the amino-acid frequencies scanned.")
    with st.expander(f"All {len(found.motifs)} filters"):
        st.dataframe(mc.motif_rows(found.motifs), hide_index=True, width="stretch")


def _units_view(units, run_id: str) -> None:
    epoch = _epoch_choice(units.epochs, f"units_epoch_{run_id}", units.checkpoint_epoch)
    weights = units.weights if epoch is None else units.epoch_weights[epoch]
    count = len(weights)
    shown = st.slider("Units shown", 1, count, min(count, 12), key=f"units_shown_{run_id}") if count > 1 else 1
    what = "output" if units.output_units else "hidden"
    fig = memo(f"units_{run_id}", "heat", (epoch, shown), lambda: mc.unit_heatmaps(
        weights, list(range(shown)), units.letters, units.offsets, units.outgoing, units.classes))
    st.plotly_chart(fig, key=f"units_{run_id}", width="stretch")
    st.caption(f"Each {what} unit's weight on each amino acid ('-': past the chain's end) at each position of the "
               "window around the residue predicted, as in Qian & Sejnowski's (1988) figures; red excites the unit, "
               "blue inhibits it" + ("" if units.outgoing is None else "; the title gives its weights to H, E and C"
                                     if set(units.classes) == {"H", "E", "C"} else "; the title gives its weights "
                                     "to each class") + ".")
