"""The Predict page's explanation of one sequence: which residues the chosen run's prediction rests on (a
sequence logo of Integrated Gradients or saliency scores) and what every single substitution would do (the
saturation mutagenesis heat map). The work runs in a background thread (protscope.explain.task) that a
fragment polls: the logo shows as soon as the attribution is ready, the heat map when the mutagenesis ends.
"""
from __future__ import annotations

import streamlit as st

from dashboard.logic import explain_charts
from dashboard.view_memo import memo
from protscope.errors import ProtScopeError
from protscope.explain.attribution import METHODS
from protscope.explain.target import prediction_text
from protscope.explain.task import start_explanation
from protscope.runs.repository import RunRecord
from protscope.train.predict import parse_pasted

POLL_S = 0.5
TITLES = {"ig": "Integrated Gradients", "saliency": "Saliency (gradient × input)"}
DEFAULT = "(default)"


def panel(record: RunRecord, pasted: str) -> None:
    st.subheader("What the model looks at")
    explain(record, _sequence(pasted))


def explain(record: RunRecord, sequence: str, key: str = "explain", position: int | None = None) -> None:
    """The choices, the Explain button and the results for `sequence`; `key` prefixes this view's widget and
    state keys (Predict's "explain", Evaluate's own), `position` a per-residue run's first residue explained."""
    method, target, position = _choices(record, key, position)
    state = st.session_state
    if st.button("Explain", key=f"{key}_go", disabled=not sequence,
                 help="Attribute the prediction to each residue, then predict every single substitution."):
        previous = state.get(f"{key}_task")
        if previous is not None and not previous.done:
            previous.stop()
        state[f"{key}_task"] = start_explanation(record.checkpoint, sequence, method=method, target=target,
                                                 position=position)
        state[f"{key}_run"] = (record.id, sequence)
    task = state.get(f"{key}_task")
    if task is not None and state.get(f"{key}_run") == (record.id, sequence):
        st.fragment(run_every=POLL_S if not task.done else None)(_results)(key, not task.done)


def _sequence(pasted: str) -> str:
    typed = st.text_input("Sequence to explain", key="explain_sequence", placeholder="MKTAYIAKQRQISFVKSHFSRQ…",
                          help="One protein sequence; left empty, the first sequence pasted above.")
    if typed.strip():
        return typed
    try:
        ids, sequences = parse_pasted(pasted)
    except ProtScopeError:
        ids, sequences = [], []
    if sequences:
        st.caption(f"Explaining **{ids[0]}**, the first sequence pasted above.")
        return sequences[0]
    st.caption("Type a sequence here, or paste sequences above, to see which residues the prediction rests on.")
    return ""


def _choices(record: RunRecord, key: str, position: int | None) -> tuple[str, str | None, int | None]:
    method_col, target_col, position_col = st.columns(3)
    method = method_col.radio("Attribution", list(TITLES), format_func=TITLES.get, key=f"{key}_method",
                              help="  \n".join(f"**{TITLES[m]}**: {METHODS[m]}" for m in TITLES))
    target = None
    if record.task != "regression" and record.classes:
        kind = "label" if record.task == "multilabel" else "class"
        default = {"binary": "the positive class", "multilabel": "the most probable label"}.get(
            record.task, "the predicted class")
        options = [DEFAULT, *record.classes]
        if st.session_state.get(f"{key}_target") not in options:  # a class of the run chosen before
            st.session_state.pop(f"{key}_target", None)
        chosen = target_col.selectbox(f"Explain the {kind}", options, key=f"{key}_target",
                                      help=f"Whose log-odds are explained; {DEFAULT}: {default}.")
        target = None if chosen == DEFAULT else chosen
    if record.task == "residue":
        position = int(position_col.number_input("Residue", min_value=1, step=1, key=f"{key}_position",
                                                  value=position or 1,
                                                  help="The residue (from 1) whose prediction is explained."))
    return method, target, position


def _results(key: str, was_running: bool) -> None:
    task = st.session_state.get(f"{key}_task")
    if task is None:
        return
    found = task.attribution
    if found is not None:
        _attribution(task, found)
    if not task.done:
        st.progress(task.progress, text=f"Saturation mutagenesis: {task.progress:.0%} …")
        st.button("Stop", on_click=task.stop, key=f"{key}_stop")
    elif task.error:
        st.error(task.error)
    elif task.result.mutagenesis is None:
        st.info(task.result.skipped)
    else:
        _mutagenesis(task, task.result.mutagenesis, key)
    if task.done and was_running:
        st.rerun()  # the whole page, so this view stops polling


def _attribution(task, found) -> None:
    target = found.target.describe
    st.markdown(f"**Prediction:** {prediction_text(found.prediction)} · explained: the {target}")
    title = f"{TITLES[found.method]}: {target}"
    st.pyplot(memo("explain", "logo", id(task), lambda: explain_charts.attribution_logo(
        found.sequence, found.scores, title, found.target.unit)), clear_figure=False)
    if found.method == "ig":
        change = found.score - found.baseline_score
        st.caption(f"Each letter is as tall as that residue's share of the change from the baseline (no residue "
                   f"at any position: an all-zero input) to this sequence, {found.baseline_score:.3g} → "
                   f"{found.score:.3g} ({change:+.3g}); the letters add up to {found.scores.sum():+.3g} (gap "
                   f"{found.relative_error:.1%}, {found.steps} steps). Above the line a residue raises the {target}, "
                   "below it lowers it.")
    else:
        st.caption(f"Each letter is as tall as the gradient of the {target} at that residue's input (gradient × "
                   "input): how fast it changes there, at this sequence only. Above the line a residue raises it, "
                   "below it lowers it; the heights need not add up to the prediction.")
    for note in found.notes:
        st.warning(note)


def _mutagenesis(task, found, key: str) -> None:
    figure = memo("explain", "ism", id(task), lambda: explain_charts.mutagenesis_heatmap(
        found.sequence, found.effects, found.target.describe, found.target.unit))
    st.plotly_chart(figure, key=f"{key}_ism", width="stretch")
    strongest = ", ".join(f"{name} {change:+.3g}" for name, change in found.strongest(5))
    st.caption(f"Each cell is the change of the {found.target.describe} the model predicts when that residue is "
               f"replaced by the row's amino acid (red raises it, blue lowers it; dots mark the wild type). The "
               f"strongest: {strongest}.")
