"""Evaluate's "What the model learned": the learned motifs (dashboard.learned_motifs; CNN and window-network
runs) and the learned space, the validation proteins in the features the output layer reads, projected onto
a plane and animated over the recorded epochs (protscope.explain.space, figure from
dashboard.logic.space_charts). A click on a point names its protein and, on request, explains the model's
prediction for it residue by residue (protscope.explain.attribution). Each part sits in an expander built
only while open."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from dashboard import learned_motifs
from dashboard.logic import space_charts as sc
from dashboard.view_memo import lazy_expander, memo
from protscope.errors import ProtScopeError
from protscope.explain.space import METHODS, project, umap_available
from protscope.train.learned import MAX_PROTEINS, MAX_RESIDUES

NOT_RECORDED = ("**The learned space was not recorded for this run.** Either `training.learned` was off, or the run "
                "is from before ProtScope recorded it: train it again to see it.")
METHOD_NAMES = {"pca": "PCA", "umap": "UMAP"}



def section(record, repo) -> None:
    if learned_motifs.applies(record):
        with lazy_expander("Learned motifs: what the first layer detects", "eval_motifs_open",
                           ":material/pattern:") as on:
            if on:
                learned_motifs.section(record, repo)
    with lazy_expander("Learned space: how the validation proteins move as it trains", "eval_space_open",
                   ":material/scatter_plot:") as opened:
        if opened:
            space_section(record, repo)


def space_section(record, repo) -> None:
    key = f"space_{record.id}"
    learned = memo(key, "learned", record.ended, lambda: repo.learned(record.id))
    if learned is None or learned.features is None:
        st.info(NOT_RECORDED)
        return
    a, b = st.columns(2)
    methods = [m for m in METHODS if m == "pca" or umap_available()]
    method = a.radio("Projection", methods, key="space_method", horizontal=True, format_func=METHOD_NAMES.get,
                     help="PCA: the last recorded epoch's two main directions, kept for every epoch. UMAP: a "
                          "non-linear map of the last epoch's neighbourhoods, other epochs placed on it.")
    if not umap_available():
        a.caption("UMAP needs the umap-learn package, which is not installed here (pip install umap-learn).")
    label = 0
    if record.task == "multilabel":
        label = b.selectbox("Colour by label", range(len(record.classes)), key="space_label",
                            format_func=lambda i: record.classes[i])
    try:
        projection = memo(key, "projection", method, lambda: project(learned, method))
    except ProtScopeError as exc:
        st.warning(str(exc))
        return
    colour = sc.colouring(learned.labels, record.task, record.classes, label)
    names = sc.hover_names(learned.ids, learned.position, learned.residues)
    fig = memo(key, "figure", (method, label), lambda: sc.space_figure(
        projection.coords, projection.epochs, colour, names, method, projection.explained))
    event = st.plotly_chart(fig, key=f"space_chart_{record.id}", on_select="rerun", selection_mode="points",
                            width="stretch")
    what = "residues" if learned.position is not None else "proteins"
    st.caption(f"{len(names):,} validation {what} (at most {MAX_PROTEINS} proteins, or {MAX_RESIDUES:,} residues, "
               f"evenly spaced through the split) at {len(projection.epochs)} recorded epochs, in the features the "
               "output layer reads. " + ("The axes are the last epoch's two principal components, kept for every "
                                         "epoch so that the points move, not the axes; the title says how much of "
                                         "each epoch's spread they hold. " if method == "pca" else "")
               + "Press play, or drag the slider; click a point to see which protein it is.")
    point = sc.chosen_point(event)
    if point is not None and point < len(names):
        _point_view(record, repo, learned, point, colour)


def _point_view(record, repo, learned, point: int, colour: sc.Colouring) -> None:
    group = (colour.groups[int(colour.values[point])] if colour.groups and len(colour.values) else
             f"{colour.values[point]:.4g}" if len(colour.values) else "no label")
    position = None if learned.position is None else int(learned.position[point]) + 1
    st.markdown(f"**{learned.ids[point]}**" + ("" if position is None else f", residue {learned.residues[point]}"
                                               f"{position}") + f": {colour.title or 'label'} {group}")
    stored = repo.predictions(record.id, "val")
    by_id = {} if stored is None else dict(zip((str(i) for i in stored.ids), stored.sequences))
    sequence, checkpoint = by_id.get(str(learned.ids[point])), Path(record.checkpoint or "")
    if sequence is None or not checkpoint.is_file():
        st.caption("Its sequence or the run's checkpoint is not stored, so the prediction cannot be explained here.")
        return
    if st.button("Explain this prediction residue by residue", key=f"space_explain_{record.id}",
                 help="Integrated Gradients (protscope.explain.attribution): each residue's share of the prediction."):
        with st.spinner("Integrated Gradients…"):
            st.session_state["space_explained"] = (record.id, point, _attribute(checkpoint, sequence, position))
    held = st.session_state.get("space_explained")
    if held is not None and held[:2] == (record.id, point):
        if isinstance(held[2], str):
            st.warning(held[2])
        else:
            st.plotly_chart(sc.attribution_bar(held[2].sequence, np.asarray(held[2].scores)),
                            key=f"space_attribution_{record.id}", width="stretch")
            st.caption(f"Explained: the {held[2].target.describe}. Red residues raise it, blue "
                       "ones lower it (Integrated Gradients from an all-zero input; the scores add up to the change).")


def _attribute(checkpoint: Path, sequence: str, position: int | None):
    from protscope.explain.attribution import attribute

    try:
        return attribute(str(checkpoint), sequence, "ig", position=position)
    except ProtScopeError as exc:
        return str(exc)
