"""One lesson's card on the Lessons page: what the exercise asks, a Start button that queues its runs as server
jobs (or runs its sanity check), their progress, and, when they have ended, the paragraph computed from them,
what to look at and their curves. A card finds this browser's latest launch of its lesson in the run store, so
a reload or a closed tab loses nothing."""
from __future__ import annotations

import json

import streamlit as st

from dashboard import checks, roles, session
from dashboard.logic import lessons_view as view
from dashboard.state import builtin_data, cached_split, job_manager, run_store
from protscope.checks.sanity import start_check
from protscope.errors import ProtScopeError
from protscope.lessons.lesson import Lesson, base_config, lesson_runs, note_text
from protscope.lessons.runner import collect, launches, new_launch, tags_of
from protscope.owners import Owner

POLL_S = 2.0


def card(lesson: Lesson) -> None:
    with st.container(border=True, key=f"lesson_{lesson.name}"):
        st.markdown(f"#### {lesson.title}")
        size = ("a sanity check" if lesson.check else f"{lesson.run_count} runs") + \
            f", about {_minutes(lesson.budget_s)} on a 2-core CPU"
        st.caption(f"Course notes: {lesson.note.document} · {lesson.note.section} · {size}")
        st.write(lesson.goal)
        text = note_text(lesson.note)
        if text:
            with st.expander("Read the exercise in the notes"):
                st.text(text)
        if lesson.check:
            _check(lesson)
        else:
            _runs(lesson)


def _runs(lesson: Lesson) -> None:
    ws = session.workspace()
    latest = next(iter(launches(run_store(), lesson, owner=ws.owner)), None)
    ended, total, _ = view.progress(collect(run_store(), lesson, latest)) if latest else (0, 0, "")
    going = ended < total
    if st.button("Start again" if latest else "Start", key=f"lesson_start_{lesson.name}", type="primary",
                 disabled=going, help="Queue this lesson's runs on the server; they train one after another."):
        try:
            launch(lesson, ws)
        except ProtScopeError as exc:
            st.error(str(exc))
        else:
            st.rerun()  # the card again, now following its queued runs
    if latest:
        st.fragment(run_every=POLL_S if going else None)(_launch_view)(lesson, latest, going)


def launch(lesson: Lesson, ws) -> str:
    """Queue every run of the lesson, all or none; returns the launch id."""
    runs, jobs, first = lesson_runs(lesson), job_manager(), roles.actor().instructor
    room = jobs.room("" if first else ws.owner)
    if len(runs) > room:
        raise ProtScopeError(f"this lesson has {len(runs)} runs but the server takes only {room} more from you now",
                             fix="wait for queued runs to finish, or stop runs you no longer need")
    launch_id = new_launch(lesson)
    for run in runs:
        data_json = json.dumps(run.config.data.to_dict(), sort_keys=True)
        data = builtin_data(lesson.base["dataset"], data_json)
        jobs.submit(run.config, data, cached_split(data.fingerprint(), data_json, data),
                    label=f"{lesson.name} {run.label}".strip(), owner=Owner(ws.owner, ws.owner_name, "dashboard"),
                    tags=tags_of(lesson, launch_id), first=first)
    return launch_id


def _launch_view(lesson: Lesson, launch_id: str, was_going: bool) -> None:
    runs = collect(run_store(), lesson, launch_id)
    ended, total, line = view.progress(runs)
    if ended < total:
        st.progress(ended / max(total, 1), text=line)
    else:
        st.caption(line)
        st.markdown("**What it shows**")
        st.info(lesson.summarise(runs))
        st.markdown("**Look at**\n" + "\n".join(f"- {item}" for item in lesson.look_at))
    if any(r.history for r in runs):
        st.plotly_chart(view.lesson_figure(lesson, runs), key=f"lesson_chart_{lesson.name}", width="stretch")
    if st.button("Open these runs in Compare", key=f"lesson_compare_{lesson.name}"):
        # a widget's key set on another page is dropped at the page switch: Compare takes it from here
        st.session_state.compare_tag = f"launch:{launch_id}"
        st.switch_page("app_pages/compare.py")
    if was_going and ended == total:
        st.rerun()  # the whole card: its Start button comes back


def _check(lesson: Lesson) -> None:
    key = f"lesson_check_{lesson.name}"
    task = st.session_state.get(key)
    running = task is not None and not task.done
    if st.button("Start", key=f"lesson_start_{lesson.name}", type="primary", disabled=running,
                 help="Run the check on this lesson's settings, in the background."):
        try:
            config = base_config(lesson)
            data_json = json.dumps(config.data.to_dict(), sort_keys=True)
            data = builtin_data(lesson.base["dataset"], data_json)
            split = cached_split(data.fingerprint(), data_json, data)
        except ProtScopeError as exc:
            st.error(str(exc))
        else:
            st.session_state[key] = start_check(lesson.check, config, data, split)
            st.rerun()
    if task is not None:
        st.fragment(run_every=0.5 if not task.done else None)(_check_view)(lesson, key, not task.done)


def _check_view(lesson: Lesson, key: str, was_running: bool) -> None:
    task = st.session_state.get(key)
    if not task.done:
        st.progress(min(max(task.progress, 0.0), 1.0), text=f"{lesson.title}: {task.progress:.0%} …")
    elif task.error:
        st.error(task.error)
    else:
        st.markdown("**What it shows**")
        st.info(lesson.summarise(task.result))
        checks.result_chart(task.kind, task.result, key=f"lesson_{lesson.name}")
        st.markdown("**Look at**\n" + "\n".join(f"- {item}" for item in lesson.look_at))
    if task.done and was_running:
        st.rerun()


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
