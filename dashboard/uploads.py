"""The user's own file on the Data page. An upload stays the session's data, with its name and content
hash, until the user removes or replaces it: the uploader widget is only a way in. Streamlit empties
the widget whenever the page is left, so the page shows the kept file instead of an empty box, and
never falls back to another dataset."""
from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

import streamlit as st

from dashboard import session
from dashboard.binding import show
from dashboard.logic.workspace import COLUMN_FIELDS, Workspace, named_columns, new_upload
from dashboard.state import uploads_folder
from dashboard.widgets import control, describe_field
from protscope.data.builtin import read_columns
from protscope.errors import ProtScopeError

ROLES = {"id_col": "id", "sequence_col": "sequence", "label_col": "label", "residue_label_col": "residue_label",
         "mask_col": "mask", "split_col": "split"}


def take_upload() -> None:
    file = st.session_state.get("upload_file")
    if file is None:  # the widget's own ✕: the kept file stays until "Remove" is pressed
        return
    ws = session.workspace()
    try:
        stored = new_upload(file.name, file.getvalue(), uploads_folder())
    except OSError as exc:
        session.notice(f"**{file.name}** could not be kept on the server ({exc.strerror or exc}): the data is "
                       f"still {ws.data_label()}. Free some disk space and upload it again.", "error")
        return
    if ws.wanted and stored.sha256 != ws.wanted.get("sha256"):
        session.notice(f"**{file.name}** is not the file the link was made with ({ws.wanted['name']}, sha256 "
                       f"{ws.wanted['sha256'][:12]}): its content differs, so the run will not be the same.",
                       "warning")
    try:
        columns = file_columns(stored.stored, stored.name)[0]
    except (ProtScopeError, OSError):
        columns = []  # the page says what is wrong with the file
    dropped = ws.choose_upload(stored, columns)
    if dropped:
        session.notice("Column choices cleared, as the new file has no such columns: " + ", ".join(
            dropped) + ". ProtScope detects the columns again.", "info")


def take_labels() -> None:
    file = st.session_state.get("label_file")
    if file is None:
        return
    try:
        session.workspace().set_labels(new_upload(file.name, file.getvalue(), uploads_folder()))
    except OSError as exc:
        session.notice(f"**{file.name}** could not be kept on the server ({exc.strerror or exc}).", "error")


def remove() -> None:
    ws = session.workspace()
    name = ws.upload.name if ws.upload else "the file"
    ws.remove_upload()
    session.notice(f"Removed {name}. Upload another file, or choose a built-in dataset.", "info")


def upload_form(ws: Workspace) -> None:
    # Any name is taken: the format is read from the content (FASTA, GenBank, UniProt, Clustal ...;
    # gzip, bz2, xz, zip), and a file that is not a protein dataset is refused in words, by name.
    st.file_uploader("A CSV or FASTA of sequences with labels, or GenBank, UniProt, Clustal, Stockholm ... "
                     "(compressed too)", key="upload_file", type=None, on_change=take_upload,
                     help="One row (or record) per protein: a sequence column and a label column. FASTA headers "
                          "may carry the label as `label=...` or `id|label`; a label file below always wins. "
                          "README's *Data formats* lists every format. To replace the file, drop another here.")
    st.file_uploader("Optional: a label CSV for a sequence file (joined on the protein id as written, or its "
                     "accession)", type=["csv", "tsv", "txt", "gz"], key="label_file", on_change=take_labels)
    if ws.upload is None:
        if ws.wanted:
            st.warning(f"This link was made with the file **{ws.wanted['name']}** (sha256 "
                       f"{ws.wanted['sha256'][:12]}…). Upload it to train the same run.")
        st.info("Upload a file to continue, or switch to a built-in dataset.")
        st.stop()
    kept(ws)
    try:
        columns, detected = file_columns(ws.upload.stored, ws.upload.name)
    except (ProtScopeError, OSError) as exc:
        st.error(str(exc))
        st.stop()
    with st.expander("Column mapping", expanded=False):
        st.caption("ProtScope detected the columns below; change any that are wrong.")
        single = [key for key in COLUMN_FIELDS if key in ROLES]  # label_cols names several: drawn below
        for box, key in zip(st.columns(len(single)), single):
            found = getattr(detected, ROLES[key])
            control(key, box, options=["", *columns],
                    format_func=lambda c, found=found: c or (f"(detected: {found})" if found else "(none)"))
        label_columns_control(ws, columns)


def label_columns_control(ws: Workspace, columns: list[str]) -> None:
    """Multi-label: the 0/1 columns to predict together, kept as the comma-separated setting label_cols."""
    show("label_cols_pick", [c for c in named_columns("label_cols", ws.settings["label_cols"]) if c in columns])

    def picked() -> None:
        names = st.session_state["label_cols_pick"]
        ws.set("label_cols", ",".join(names))
        if names and ws.settings["label_col"]:
            session.notice(f"The label column '{ws.settings['label_col']}' was cleared: the {len(names)} label columns "
                           "are predicted together instead (a multi-label task).", "info")
            ws.set("label_col", "")

    st.multiselect("Multi-label: 0/1 columns to predict together", columns, key="label_cols_pick", on_change=picked,
                   help=describe_field("label_cols")["help"], placeholder="(none: one label column)",
                   disabled=ws.fixed("label_cols") or ws.fixed("label_col"))


def kept(ws: Workspace) -> None:
    """The file the session uses, shown whether or not the uploader holds it right now."""
    up = ws.upload
    left, right = st.columns([5, 1])
    text = (f":material/description: Using your file **{up.name}** ({size(up.size)}, sha256 `{up.short}`, "
            f"uploaded {time.strftime('%H:%M', time.localtime(up.uploaded))})")
    if ws.labels:
        text += f" with labels from **{ws.labels.name}**"
    left.success(text + ". It stays until you remove it or upload another.")
    right.button("Remove", on_click=remove, icon=":material/delete:", help="Stop using this file.")


@lru_cache(maxsize=8)
def file_columns(stored: str, name: str):
    return read_columns(Path(stored).read_bytes(), name)


def size(n: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)
