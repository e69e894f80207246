"""Evaluate's "Class centres" section, for runs trained with the harmonic loss only: where the validation
proteins sit, in the space of features the output layer reads, around one centre per class. The engine
reads the centres and features from the run's checkpoint (protscope.train.class_centres); the figure and
table are dashboard.logic.centre_charts'; both are kept between reruns (dashboard.view_memo)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.logic import centre_charts as cc
from dashboard.view_memo import memo
from protscope.errors import ProtScopeError
from protscope.runs.outputs import StoredPredictions
from protscope.runs.repository import RunRecord, RunRepository
from protscope.train.class_centres import class_centres

NO_CHECKPOINT = ("The class centres are read from the run's checkpoint and shown for its validation proteins; "
                 "this run has {missing}, so they cannot be shown.")


def trained_harmonic(record: RunRecord) -> bool:
    return (record.config.get("loss") or {}).get("name") == "harmonic"


def section(record: RunRecord, repo: RunRepository) -> None:
    """The section, or nothing for a run trained with another loss."""
    if not trained_harmonic(record):
        return
    st.subheader("Class centres (harmonic loss)")
    stored = repo.predictions(record.id, "val")
    checkpoint = Path(record.checkpoint) if record.checkpoint else None
    if checkpoint is None or not checkpoint.exists():
        st.info(NO_CHECKPOINT.format(missing="no checkpoint"))
        return
    if stored is None or stored.predictions.y_true is None or not len(stored.predictions.y_true):
        st.info(NO_CHECKPOINT.format(missing="no labelled validation predictions"))
        return
    try:
        view, plane = memo(f"eval_centres_{record.id}", "plane", (str(checkpoint), checkpoint.stat().st_mtime),
                           lambda: _plane(checkpoint, stored))
    except ProtScopeError as exc:
        st.warning(str(exc))
        return
    what = "residues" if record.task == "residue" else "proteins"
    a, b = st.columns([2, 1])
    a.plotly_chart(cc.centre_figure(plane, view.classes, what), key="eval_centres", width="stretch")
    b.markdown("**Distances between the centres**")
    b.dataframe(cc.distance_rows(view.distances(), view.classes), hide_index=True, width="stretch")
    b.caption(f"In the full {view.centres.shape[1]}-dimensional space the output layer reads. A protein's "
              f"probability of each class falls as distance^-n to that class's centre (n = {view.exponent:.3g}), "
              "so well-separated centres with their proteins gathered round them make confident, interpretable "
              f"predictions. The plane shows {sum(plane.explained):.0%} of the spread of the {what}' features; "
              "centres off that plane can look closer than they are.")


def _plane(checkpoint: Path, stored: StoredPredictions):
    view = class_centres(checkpoint, stored.sequences)
    p = stored.predictions
    features, labels = cc.labelled_features(view.features, p.y_true, view.protein, view.position, p.protein,
                                            p.position)
    return view, cc.project(features, labels, view.centres)
