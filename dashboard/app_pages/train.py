"""Train page: every engine option (in the sidebar), previews of the model and the learning-rate
schedule, the Train / Pause / Stop buttons, the two sanity checks, and the live view of the run."""
import math

import streamlit as st

from core.errors import ProtScopeError
from core.presets import PRESETS
from core.sanity import lr_range_test, overfit_one_batch
from dashboard import charts, controls, live
from dashboard.exports import downloads
from dashboard.state import current_config, current_data, current_split, defaults, job_manager, sync_url

state = st.session_state
st.title("Train")
data, problem = current_data()
if data is None:
    st.error(f"{problem}  \nFix the data on the Data page first.")
    st.page_link("app_pages/data.py", label="Go to the Data page", icon=":material/database:")
    st.stop()
try:
    split = current_split(data)
except ProtScopeError as exc:
    st.error(f"{exc}  \nChange the split on the Data page.")
    st.stop()
counts = split.counts()
st.caption(f"**{data.name}** · {data.task} · {len(data):,} proteins · train {counts['train']:,} · "
           f"validation {counts['val']:,} · test {counts['test']:,} (change on the Data page)")


def apply_preset() -> None:
    preset = PRESETS[state.preset_choice]
    for key, value in {**defaults(), **preset.values}.items():
        if key == "dataset":
            state.source, state.dataset = "builtin", value
        elif key not in ("task", "split", "val_fraction", "test_fraction", "split_seed", "identity"):
            state[key] = value
    state.preset_note = f"Applied preset **{preset.title}**: {preset.description}"


with st.sidebar:
    st.header("Settings")
    st.selectbox("Start from a preset", list(PRESETS), key="preset_choice", format_func=lambda n: PRESETS[n].title,
                 help="A course case study: one click sets every control below (and the dataset).")
    st.button("Apply preset", on_click=apply_preset, width="stretch")
    controls.draw(state, data.task)

if state.get("preset_note"):
    st.info(state.pop("preset_note"))
try:
    config = current_config().resolve(data.task)
    problem = ""
except ProtScopeError as exc:
    config, problem = None, str(exc)
    st.error(problem)
sync_url()

jobs = job_manager()
live_job = jobs.get(state.get("live_run", ""))
running = live_job is not None and not live_job.done
if config is not None:
    with st.expander("The model and its learning-rate schedule", expanded=live_job is None):
        left, right = st.columns([1, 2])
        with left:
            controls.model_preview(config, data)
        with right:
            controls.schedule_preview(config, counts["train"])

buttons = st.columns(5)
if buttons[0].button("Train", type="primary", disabled=config is None, width="stretch",
                     help="Start a run with these settings. It runs on the server: you can change pages, "
                          "or start another run, which waits its turn."):
    try:
        state.live_run = jobs.submit(config, data, split, owner=state.session_id).run_id
        live_job, running = jobs.get(state.live_run), True
    except ProtScopeError as exc:
        st.error(str(exc))
paused = running and live_job.snapshot().status == "paused"
if buttons[1].button("Resume" if paused else "Pause", disabled=not running, width="stretch"):
    (live_job.trainer.resume if paused else live_job.trainer.pause)()
    st.rerun()  # the button's label follows at once (the live view alone would not redraw it)
if buttons[2].button("Stop", disabled=not running, width="stretch",
                     help="End the run after the current batch; the epochs so far are kept."):
    live_job.trainer.stop()
check_overfit = buttons[3].button("Overfit one batch", disabled=config is None, width="stretch",
                                  help="Can the model drive the loss near zero on a single batch? If not, "
                                       "something is wrong before any real training.")
find_lr = buttons[4].button("Find learning rate", disabled=config is None, width="stretch",
                            help="Raise the learning rate from 1e-6 to 1 over 100 batches and watch the loss.")


def use_lr(value: float) -> None:
    state.lr = float(f"{value:.1e}")


if check_overfit:
    with st.spinner("Fitting one batch for 100 steps…"):
        state.sanity = ("overfit", overfit_one_batch(config, data, split))
if find_lr:
    with st.spinner("Sweeping the learning rate over 100 batches…"):
        state.sanity = ("lr", lr_range_test(config, data, split))
if "sanity" in state:
    kind, result = state.sanity
    with st.container(border=True):
        if kind == "overfit":
            (st.success if result.passed else st.warning)(result.message)
            st.plotly_chart(charts.series_curve(list(range(1, len(result.losses) + 1)), result.losses,
                                                "Loss on one batch", "loss", x_label="step"), width="stretch")
        else:
            st.write(result.message)
            st.plotly_chart(charts.lr_finder(result.lrs, result.losses, result.suggestion), width="stretch")
            if math.isfinite(result.suggestion):
                st.button(f"Use lr = {result.suggestion:.1e}", on_click=use_lr, args=(result.suggestion,))
        st.button("Hide", key="hide_sanity", on_click=lambda: state.pop("sanity", None))

if live_job is not None:
    st.subheader(f"Run {live_job.run_id}")
    st.caption(live_job.label)
    live.show(live_job)
else:
    st.info("Press **Train** to start. The training loss appears within a second or two, per batch; "
            "validation points come at each epoch's end (or every N batches: *validate every*).")

finished = jobs.list()
if finished:
    st.subheader("Runs")
    live.run_list(any(not j.done for j in finished))
    choices = [j.run_id for j in finished]
    st.selectbox("Show run", choices, key="live_run", format_func=lambda r: f"{r} · {jobs.get(r).label}"
                 if jobs.get(r) else r)
if config is not None:
    downloads(config, data)
