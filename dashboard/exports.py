"""Take the settings away: the run config as JSON, and a short standalone PyTorch script that trains
the same model with the same settings (no ProtScope needed to run it)."""
from __future__ import annotations

import streamlit as st

from protscope.config.run_config import RunConfig
from protscope.data.builtin import SAMPLE_DIR, get_spec
from protscope.data.dataset import ProteinData
from protscope.errors import ProtScopeError
from protscope.script_export.script import pytorch_script


def script_source(config: RunConfig, data: ProteinData) -> str:
    """The script for this config and data; raises ProtScopeError when it cannot be expressed."""
    cols = data.columns
    columns = {"sequence": cols.sequence, "label": cols.label} if cols else {}
    if config.data.dataset:
        spec = get_spec(config.data.dataset)
        if len(spec.files) != 1:
            raise ProtScopeError(f"the '{spec.name}' dataset is spread over {len(spec.files)} files",
                                 fix="the script reads one CSV; export the model from a one-file dataset")
        path = str((SAMPLE_DIR / spec.files[0].path).relative_to(SAMPLE_DIR.parent))
        if cols and cols.split and not spec.split_values:
            columns["split"] = cols.split
    else:
        path = config.data.path or "proteins.csv"  # the uploaded file's name, which the script reads
        if cols and cols.split:
            columns["split"] = cols.split
    labels = tuple(data.label_of(i) for i in range(len(data.classes)))  # as the CSV writes them
    return pytorch_script(config, path, columns, data.task, labels)


def downloads(config: RunConfig, data: ProteinData) -> None:
    with st.expander("Take these settings away: config JSON or a plain PyTorch script"):
        st.download_button("Download config (JSON)", config.to_json(), file_name="protscope-config.json",
                           mime="application/json", help="Train it again with `python -m protscope train --config "
                                                          "protscope-config.json`" + (
                               f" (keep {config.data.path} next to it: the config names the file and its "
                               "content hash)" if config.data.path else "") + ".")
        try:
            source = script_source(config, data)
        except ProtScopeError as exc:
            st.info(f"No plain PyTorch script for these settings: {exc}")
            return
        st.download_button("Download the PyTorch script", source, file_name="train_protscope.py",
                           mime="text/x-python")
        st.caption("Copy as a plain PyTorch script (the copy button is at the code's top right). It needs only "
                   "torch, numpy and pandas, and reads the same CSV.")
        st.code(source, language="python")
