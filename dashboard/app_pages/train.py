"""Train page: every engine option (in the sidebar), previews of the model and the learning-rate
schedule, the Train / Pause / Stop buttons, the sanity checks, and the live view of the user's run."""
import streamlit as st

from dashboard import checks, controls, exercise, live, roles, session
from dashboard.binding import show
from dashboard.exports import downloads
from dashboard.state import current_data, current_split, job_manager, repository
from protscope.config.presets import PRESETS
from protscope.errors import ProtScopeError
from protscope.modeling.losses import check_targets
from protscope.owners import Owner
from protscope.runs.classroom import EXERCISE_PREFIX
from protscope.status import Status

state = st.session_state
ws = session.workspace()
st.title("Train")
data, problem = current_data(ws)
if data is None:
    st.error(f"**Train has no data.** {problem}")
    st.page_link("app_pages/data.py", label="Go to the Data page", icon=":material/database:")
    st.stop()
try:
    split = current_split(ws, data)
except ProtScopeError as exc:
    st.error(f"{exc}  \nChange the split on the Data page.")
    st.stop()
counts = split.counts()
st.caption(f"Train will use **{ws.data_label()}**: {data.task} · {len(data):,} proteins · train "
           f"{counts['train']:,} · validation {counts['val']:,} · test {counts['test']:,} · "
           f"{ws.settings['split']} split (change on the Data page)")


def apply_preset() -> None:
    preset = PRESETS[state.preset_choice]
    changed = ws.apply_preset(preset.values)
    kept = [k for k in preset.values if ws.fixed(k)]
    session.notice(f"Applied preset **{preset.title}**: {preset.description}"
                   + (f" Changed: {', '.join(changed)}." if changed else " (Nothing needed changing.)")
                   + (f" Kept as this exercise fixes them: {', '.join(kept)}." if kept else ""), "info")


with st.sidebar:
    st.header("Settings")
    exercise.banner(ws)
    st.selectbox("Start from a preset", list(PRESETS), key="preset_choice", format_func=lambda n: PRESETS[n].title,
                 help="A course case study: one click sets every control below (and the dataset).")
    st.button("Apply preset", on_click=apply_preset, width="stretch")
    exercise.share(ws)
    controls.draw(ws.settings, data.task)

try:
    config = ws.config().resolve(data.task)
    check_targets(config.loss, data.task, data.y)  # e.g. MSLE refuses negative labels, before Train is pressed
    problem = ""
except ProtScopeError as exc:
    config, problem = None, str(exc)
    st.error(problem)

repo, jobs = repository(), job_manager()
live_job = repo.job(ws.live_run)
live_record = repo.find(ws.live_run) if ws.live_run else None
if live_record is not None and live_record.owner != ws.owner:  # never another user's run as this one's own
    live_job, live_record, ws.live_run = None, None, ""
running = live_job is not None and not live_job.done
if config is not None:
    with st.expander("The model and its learning-rate schedule", expanded=live_record is None):
        left, right = st.columns([1, 2])
        with left:
            controls.model_preview(config, data)
        with right:
            controls.schedule_preview(config, counts["train"])


def submit():
    """Start a run with the settings on screen; the job, or None (with the reason shown)."""
    try:
        job = jobs.submit(config, data, split, owner=Owner(ws.owner, ws.owner_name, "dashboard"),
                          tags=(f"{EXERCISE_PREFIX}{ws.exercise_id()}",) if ws.exercise_id() else (),
                          first=roles.actor().instructor)
    except ProtScopeError as exc:
        st.error(str(exc))
        return None
    ws.run_started(job.run_id)
    session.save()
    return job


buttons = st.columns(3)
start = buttons[0].button("Train", type="primary", disabled=config is None, width="stretch",
                          help="Start a run with these settings. It runs on the server: you can change pages, or "
                               "start another run, which waits its turn.")
if state.pop("start_now", False) and config is not None:  # the first screen's one-click start
    start = True
if start and (job := submit()) is not None:
    live_job, running = job, True
    live_record = repo.find(job.run_id)
paused = running and live_job.snapshot().status == Status.PAUSED
if buttons[1].button("Resume" if paused else "Pause", disabled=not running, width="stretch"):
    (live_job.trainer.resume if paused else live_job.trainer.pause)()
    st.rerun()  # the button's label follows at once (the live view alone would not redraw it)
if buttons[2].button("Stop", disabled=not running, width="stretch",
                     help="End the run after the current batch; the epochs so far are kept."):
    live_job.trainer.stop()
st.caption("Sanity checks, before a long run: can this model learn at all, at which learning rate, and does it "
           "start where it should?")
checks.buttons(st.columns(3), config, data, split)
checks.panel()

if live_job is not None or live_record is not None:
    st.subheader(f"Run {ws.live_run}")
    exercise.broadcast_button(ws.live_run)
    st.caption(live_job.label if live_job is not None else live_record.title)
    live.show(ws.live_run)
else:
    st.info("Press **Train** to start. The training loss appears within a second or two, per batch; "
            "validation points come at each epoch's end (or every N batches: *validate every*).")

mine = repo.runs(owner=ws.owner)
if mine:
    st.subheader("Your runs")
    live.run_list(ws.owner, any(not r.done for r in mine))
    choices = [r.id for r in mine]
    # Labels that do not change while a run goes (no status in them): Streamlit matches a chosen option by its label.
    titles = {r.id: f"{r.id} · {r.title}" for r in mine}

    def shown_changed() -> None:
        if state.shown_run:  # a choice of the user's, never a cleared box
            ws.live_run = state.shown_run

    show("shown_run", ws.live_run if ws.live_run in choices else None)
    st.selectbox("Show run", choices, key="shown_run", on_change=shown_changed,
                 index=choices.index(ws.live_run) if ws.live_run in choices else None,
                 format_func=lambda r: titles.get(r, r), placeholder="Choose one of your runs")
if config is not None:
    downloads(config, data)
