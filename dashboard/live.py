"""The live view of one run: progress, loss and metric curves, learning rate and gradient norm,
and how it ended. It reads only engine snapshots; the training thread never touches Streamlit."""
from __future__ import annotations

import math

import streamlit as st

from core.diagnosis import chance_loss, diagnose
from core.events import Snapshot
from core.jobs import Job
from core.metrics import MAIN_METRICS
from dashboard import charts

REFRESH_S = 1.0
STATUS_ICONS = {"queued": ":material/hourglass_empty:", "running": ":material/play_circle:",
                "paused": ":material/pause_circle:", "completed": ":material/check_circle:",
                "early_stopped": ":material/flag:", "stopped": ":material/stop_circle:",
                "diverged": ":material/warning:", "failed": ":material/error:"}


def show(job: Job) -> None:
    """Redraw every second while the run is going; once at the end, then it stands still."""
    running = not job.done
    st.fragment(run_every=REFRESH_S if running else None)(_view)(job.run_id, running)


def _view(run_id: str, was_running: bool) -> None:
    from dashboard.state import job_manager

    job = job_manager().get(run_id)
    if job is None:
        st.info("This run is no longer in memory; its files are under runs/.")
        return
    done = job.done  # read before the snapshot: a finished job's snapshot is final
    snap = job.snapshot()
    progress_line(job, snap)
    curves(job, snap)
    if done and was_running:
        st.rerun()  # the whole page: buttons and the run list change when a run ends


def progress_line(job: Job, snap: Snapshot) -> None:
    t = job.config.training
    icon = STATUS_ICONS.get(snap.status, "")
    last = snap.history[-1] if snap.history else None
    p = snap.progress
    if snap.status == "queued":
        st.info("Queued: waiting for a free training slot (another run is training).")
        return
    done_epochs = len(snap.history)
    position = p.position if p else float(done_epochs)
    fraction = 1.0 if snap.done else min(position / t.epochs, 1.0)
    parts = [f"{icon} {snap.status.replace('_', ' ')}"]
    if p:
        parts.append(f"epoch {p.epoch}/{t.epochs} · batch {p.batch}/{p.batches}")
        parts.append(f"{p.samples_per_s:,.0f} proteins/s")
    if last and not snap.done:
        parts.append(f"ETA {clock(last.eta)}")
    if last:
        parts.append(f"elapsed {clock(last.elapsed)}")
    st.progress(fraction, text=" · ".join(parts))
    if snap.finished:
        message = f"**{snap.finished.reason.replace('_', ' ')}**: {snap.finished.message}."
        (st.warning if snap.finished.reason == "diverged" else st.success)(message)
    if snap.failed:
        st.error(f"**The run failed.** {snap.failed.message}")
        with st.expander("Technical details"):
            st.code(snap.failed.error + "\n\n" + snap.failed.traceback, language=None)
    if snap.started and snap.started.notes:
        for note in snap.started.notes:
            st.caption(note)


def curves(job: Job, snap: Snapshot) -> None:
    rows = snap.rows()
    best = snap.finished.best_epoch if snap.finished else (snap.history[-1].best_epoch if snap.history else 0)
    stopped = len(rows) if snap.finished and snap.finished.reason == "early_stopped" else 0
    batch = snap.batch_losses
    left, right = st.columns(2)
    left.plotly_chart(charts.loss_curves(rows, [b[0] for b in batch], [b[1] for b in batch], best, stopped,
                                         smoothing=st.session_state.get("smoothing", 0.6),
                                         validations=[(v.position, v.val_loss) for v in snap.validations]),
                      key=f"loss_{job.run_id}", width="stretch")
    metrics = MAIN_METRICS[job.data.task]
    if rows:
        right.plotly_chart(charts.metric_curves(rows, metrics, best, train_too=metrics[:1]),
                           key=f"metrics_{job.run_id}", width="stretch")
        a, b = st.columns(2)
        epochs = [r["epoch"] for r in rows]
        a.plotly_chart(charts.series_curve(epochs, [r["lr"] for r in rows], "Learning rate", "learning rate",
                                           log_y=all(r["lr"] > 0 for r in rows)), key=f"lr_{job.run_id}",
                       width="stretch")
        b.plotly_chart(charts.series_curve(epochs, [r["grad_norm"] for r in rows], "Gradient norm (mean per "
                                           "epoch, before clipping)", "gradient norm", charts.VAL),
                       key=f"grad_{job.run_id}", width="stretch")
    else:
        right.info("Metric curves appear after the first epoch; the training loss is drawn per batch now.")
    if snap.done and rows:
        verdict(job, rows)


def verdict(job: Job, rows: list[dict]) -> None:
    d = diagnose(rows, job.config.training.monitor, chance_loss=chance_loss(job.data.task, job.data.classes))
    st.markdown(f"#### Diagnosis: {d.title}")
    st.write(d.explanation)
    for s in d.suggestions:
        st.markdown(f"- {s}")


def clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


def run_list(any_running: bool) -> None:
    """The table of runs, kept current every two seconds while any of them is going."""
    st.fragment(run_every=2 * REFRESH_S if any_running else None)(_run_list)()


def _run_list() -> None:
    from dashboard.state import job_manager

    st.dataframe(run_table(job_manager().list()), hide_index=True, width="stretch")


def run_table(jobs: list[Job]) -> list[dict]:
    """One row per run for the list under the live view."""
    out = []
    for job in jobs:
        snap = job.snapshot()
        task = job.data.task
        main = f"val_{MAIN_METRICS[task][0]}"
        last = snap.history[-1] if snap.history else None
        out.append({"run": job.run_id, "status": snap.status.replace("_", " "),
                    "what": job.label, "data": job.dataset, "epochs": len(snap.history),
                    "best epoch": snap.finished.best_epoch if snap.finished else None,
                    main.replace("_", " "): None if last is None else round(last.metrics.get(main, math.nan), 4),
                    "val loss": None if last is None else round(last.val_loss, 4)})
    return out
