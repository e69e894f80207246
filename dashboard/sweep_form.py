"""Launch a sweep from the dashboard: pick settings and their values (a grid) times N seeds, see how
many runs that makes, and queue them all as server jobs. The course's "Compare optimizers"
exercise is one click. Each run is tagged sweep:<name>, so the Compare page can show just them."""
from __future__ import annotations

import streamlit as st

from dashboard import roles, session
from dashboard.logic.setting_values import setting_names
from dashboard.state import builtin_data, current_data, current_split, job_manager
from protscope.config.layering import layered
from protscope.config.presets import PRESETS
from protscope.config.run_config import RunConfig
from protscope.config.sections import DataConfig
from protscope.data.splits import make_split
from protscope.errors import ProtScopeError
from protscope.owners import Owner
from protscope.runs.sweeps import SweepSpec, count, expand, parse_grid, preset_sweep
from protscope.status import Status

SWEEPABLE = [k for k in setting_names() if k not in ("task", "split", "val_fraction", "test_fraction", "identity",
                                                    "split_seed", "max_length", "long_sequences", "unknown_residues",
                                                    "binarize_at", "drop_split_overlap", "max_rows", "seed",
                                                    "id_col", "sequence_col", "label_col", "residue_label_col",
                                                    "mask_col", "split_col", "device", "precision")]
OPTIMIZER_PRESET = "optimizer-comparison"


def launch(spec: SweepSpec, base: RunConfig, data, split) -> int:
    """Queue every run of `spec`; returns how many. Invalid combinations are refused before any starts."""
    runs = expand(spec, base)
    jobs, ws, first = job_manager(), session.workspace(), roles.actor().instructor
    room = jobs.room("" if first else ws.owner)
    if len(runs) > room:  # all or nothing: never half a sweep
        raise ProtScopeError(f"this sweep has {len(runs)} runs but the server takes only {room} more from you now",
                             fix="wait for queued runs to finish, cancel a sweep, or sweep fewer values")
    for run in runs:
        jobs.submit(run.config, data, split, label=f"{spec.name} {run.label}", owner=Owner(ws.owner, ws.owner_name,
                    "sweep"), tags=(f"sweep:{spec.name}",), first=first)
    st.session_state.cmp_tag = f"sweep:{spec.name}"
    return len(runs)


def optimizer_button() -> None:
    preset = PRESETS[OPTIMIZER_PRESET]
    epochs = st.number_input("Epochs per run", 1, 200, 10, key="sweep_preset_epochs",
                             help="The notes train up to 50 epochs with early stopping; on a CPU, 10 keeps the "
                                  "nine runs to about half an hour.")
    if st.button("Compare optimizers: SGD+momentum, Adam, AdamW × 3 seeds on eSOL", type="primary"):
        values = {k: v for k, v in preset.values.items() if k != "dataset"}
        # The Train page's quick-check limit (max_batches) applies too, for a fast classroom demo.
        budget = {"epochs": int(epochs), "max_batches": int(session.workspace().settings["max_batches"])}
        base = layered(preset=values, flags=budget)
        data = builtin_data(preset.values["dataset"], "{}")
        try:
            n = launch(preset_sweep(preset), base, data, make_split(data, DataConfig()))
        except ProtScopeError as exc:
            st.error(str(exc))
            return
        st.success(f"Queued {n} runs (tag sweep:{OPTIMIZER_PRESET}). They train one after another; the table "
                   "below fills as they go.")


def custom_form() -> None:
    ws = session.workspace()
    data, problem = current_data(ws)
    if data is None:
        st.error(problem)
        return
    st.caption(f"On the Data page's dataset (**{data.name}**), starting from the Train page's settings.")
    name = st.text_input("Sweep name", "my-sweep", key="sweep_name")
    fields = st.multiselect("Settings to vary", SWEEPABLE, default=["optimizer", "lr"], key="sweep_fields")
    items = []
    for key in fields:
        current = ws.settings.get(key)
        text = st.text_input(f"{key} values (comma-separated)", str(current if current is not None else ""),
                             key=f"sweep_values_{key}", help="For list settings such as hidden, write 64x32 for "
                                                             "one value (64,32).")
        items.append(f"{key}={text}")
    seeds = st.number_input("Seeds per setting", 1, 10, 3, key="sweep_seeds")
    try:
        spec = SweepSpec(grid=parse_grid(items), seeds=int(seeds), name=name.strip() or "sweep")
        base = ws.config()
    except ProtScopeError as exc:
        st.error(str(exc))
        return
    n = count(spec)
    st.metric("Runs", n)
    if st.button(f"Launch {n} runs", disabled=n == 0):
        try:
            launched = launch(spec, base, data, current_split(ws, data))
        except ProtScopeError as exc:
            st.error(str(exc))
            return
        st.success(f"Queued {launched} runs (tag sweep:{spec.name}).")


def sweep_progress() -> None:
    """How far each sweep of this server has got, redrawn every two seconds while any run is going."""
    me = session.workspace().owner
    jobs = [j for j in job_manager().list() if any(t.startswith("sweep:") for t in j.tags) and j.owner.id == me]
    for tag in sorted({t for j in jobs for t in j.tags if t.startswith("sweep:")}):
        mine = [j for j in jobs if tag in j.tags]
        done = sum(j.done for j in mine)
        running = [j for j in mine if not j.done and j.snapshot().status == Status.RUNNING]
        now = f" · training {running[0].label.removeprefix(tag[6:]).strip()}" if running else ""
        st.progress(done / len(mine), text=f"{tag}: {done} of {len(mine)} runs finished{now}")


def cancel_buttons() -> None:
    """Stop the queued and running runs of each of the user's sweeps still going; finished runs are kept."""
    me = session.workspace().owner
    jobs = [j for j in job_manager().active() if j.owner.id == me]
    for tag in sorted({t for j in jobs for t in j.tags if t.startswith("sweep:")}):
        mine = [j for j in jobs if tag in j.tags]
        if st.button(f"Cancel {tag} ({len(mine)} runs left)", key=f"cancel_{tag}"):
            for job in mine:
                job.trainer.stop()
            st.toast(f"Stopping {len(mine)} runs of {tag}.")


def draw() -> None:
    me = session.workspace().owner
    active = any(j.owner.id == me for j in job_manager().active())
    st.fragment(run_every=2.0 if active else None)(sweep_progress)()
    with st.expander("Launch a sweep: several settings × several seeds", expanded=active):
        cancel_buttons()
        optimizer_button()
        st.divider()
        custom_form()
        st.caption("Larger sweeps can run on a Ray cluster from the command line: "
                   "`python -m protscope sweep --grid optimizer=sgd,adam --seeds 3 --ray ADDRESS`.")
