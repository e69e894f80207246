"""Evaluate's look at what the model looks at: the residues behind its best and worst predicted proteins of
the split shown (ranked by protscope.evaluation.per_protein, explained as on Predict by dashboard.explain_view)
and, for a run trained on variants of one protein (GB1), its predicted single-mutant effects beside the
measured ones (protscope.explain.measured). Each part sits in an expander built only while open."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import streamlit as st

from dashboard import explain_view
from dashboard.logic import explain_charts
from dashboard.view_memo import lazy_expander, memo
from protscope.errors import ProtScopeError
from protscope.evaluation.per_protein import error_name, extremes, protein_errors
from protscope.explain.measured import predicted_against_measured, variants_of, wild_type_of

SHOWN = 5  # best and worst proteins offered
KEY = "eval_explain"


def section(record, stored, split: str) -> None:
    if not record.checkpoint or not Path(record.checkpoint).is_file():
        return
    if stored is not None and stored.predictions.y_true is not None:
        with lazy_expander("Residues behind the predictions: the best and worst predicted proteins",
                           f"{KEY}_open", ":material/biotech:") as opened:
            if opened:
                proteins(record, stored, split)
    if record.task == "regression":
        with lazy_expander("Mutation effects: predicted beside measured", "eval_measured_open",
                           ":material/compare_arrows:") as opened:
            if opened:
                measured(record)


def proteins(record, stored, split: str) -> None:
    errors = memo(KEY, "errors", (record.id, split), lambda: protein_errors(stored.predictions, record.task))
    best, worst = extremes(errors, SHOWN)
    choices = [("worst", int(i)) for i in worst] + [("best", int(i)) for i in best]
    if not choices:
        st.info("No protein of this split has a label to compare its prediction with.")
        return
    name = error_name(record.task)
    picked = st.selectbox("Protein", choices, key=f"{KEY}_protein", format_func=lambda c: (
        f"{c[0]} predicted: {stored.ids[c[1]]} ({name} {errors[c[1]]:.3g}, {len(stored.sequences[c[1]])} residues)"),
        help=f"The {SHOWN} {split} proteins the model got most wrong and the {SHOWN} it got most right, by {name}.")
    position = None
    if record.task == "residue":  # its worst-predicted residue first
        position = _worst_residue(stored.predictions, picked[1])
        st.caption(f"Per residue: residue {position} is this protein's worst predicted; choose another below.")
    explain_view.explain(record, stored.sequences[picked[1]], key=KEY, position=position)


def _worst_residue(predictions, protein: int) -> int:
    mine = np.flatnonzero(predictions.protein == protein)
    truth = predictions.y_true[mine].astype(np.int64)
    missed = 1.0 - predictions.outputs[mine, truth]
    return int(predictions.position[mine[int(np.argmax(missed))]]) + 1


def measured(record) -> None:
    data_config = record.config.get("data") or {}
    named = wild_type_of(data_config)
    wild_type = st.text_input("Wild type (its row id or sequence)", value=named, key=f"measured_wild_{record.id}",
                              help="Effects are changes from this protein. Empty: the most common residue at "
                                   "each position, which in a combinatorial library need not be the wild type.")
    try:
        data = _run_data(json.dumps(data_config, sort_keys=True))
        variants = variants_of(data, wild_type.strip())
    except ProtScopeError as exc:
        st.warning(str(exc))
        return
    if variants is None:
        st.info("This run's data is not variants of one protein with measured single mutants (a mutational scan "
                "such as GB1), so there is nothing measured to compare its mutation effects with.")
        return
    if variants.assumed:
        st.warning("**The wild type is assumed**: nothing names it, so it is taken to be the most common residue at "
                   "each position. Give its row id or sequence above if that is not right.")
    found = memo(f"measured_{record.id}", "comparison", (variants.wild_type, record.ended),
                 lambda: predicted_against_measured(record.checkpoint, variants))
    unit = data_config.get("label_col") or "value"
    st.plotly_chart(explain_charts.measured_heatmaps(found, unit), key=f"measured_chart_{record.id}",
                    width="stretch")
    a, b, c = st.columns(3)
    a.metric("Spearman", f"{found.spearman:.3f}" if found.count >= 3 else "–", help="Rank correlation between "
             "predicted and measured change, over the measured single mutants.")
    b.metric("Pearson", f"{found.pearson:.3f}" if found.count >= 3 else "–")
    c.metric("Single mutants compared", found.count)
    st.caption(f"Each cell is the change of {unit} from the wild type ({variants.wild_type_value:.3g} measured) "
               "when that site is replaced by the row's amino acid: on the left as the model predicts it (all "
               f"{len(found.sites) * 20} substitutions), on the right as the data measured it (blank: no such single "
               "mutant in the data). Red raises it, blue lowers it; dots mark the wild type. The single mutants may "
               "be in the training split: this shows what the model learned of them, not how it generalises.")


@st.cache_resource(show_spinner="Loading the run's dataset…", max_entries=2)
def _run_data(config_json: str):
    from protscope.config.sections import DataConfig
    from protscope.data.builtin import load_data

    return load_data(DataConfig.from_dict(json.loads(config_json)))
