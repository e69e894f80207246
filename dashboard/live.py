"""The view of one run: where it is (true numbers: elapsed and time left tick every second, a paused run
says so and shows no speed, a queued one its place in line), its curves, and how it ended. A run this
server is training is read from engine snapshots, redrawn every second; any other run (from the
command line, a sweep, before a restart) from the run store. The training thread never touches
Streamlit."""
from __future__ import annotations

import math
import time

import streamlit as st

from dashboard import layer_health
from dashboard.logic import charts
from dashboard.session import owner_label
from protscope.evaluation.diagnosis import chance_loss, diagnose
from protscope.evaluation.metrics import MAIN_METRICS, one_class
from protscope.runs.repository import RunRecord
from protscope.status import Status

REFRESH_S = 1.0
STATUS_ICONS = {Status.QUEUED: ":material/hourglass_empty:", Status.RUNNING: ":material/play_circle:",
                Status.PAUSED: ":material/pause_circle:", Status.COMPLETED: ":material/check_circle:",
                Status.EARLY_STOPPED: ":material/flag:", Status.STOPPED: ":material/stop_circle:",
                Status.DIVERGED: ":material/warning:", Status.FAILED: ":material/error:",
                Status.INTERRUPTED: ":material/power_off:"}


def show(run_id: str) -> None:
    """A live run redraws itself every second while it goes, once more when it ends, then stands still."""
    from dashboard.state import repository

    job = repository().job(run_id)
    if job is None:
        stored(run_id)
        return
    running = not job.done
    st.fragment(run_every=REFRESH_S if running else None)(_live)(run_id, running)


def _live(run_id: str, was_running: bool) -> None:
    from dashboard.state import repository

    job = repository().job(run_id)
    if job is None:
        stored(run_id)
        return
    done = job.done  # read before the snapshot: a finished job's snapshot is final
    snap = job.snapshot()
    if snap.status == Status.QUEUED:
        queued(job)
    else:
        progress_line(job.config.training.epochs, snap)
        ended(snap.finished.reason if snap.finished else "", snap.failed)
        for note in snap.started.notes if snap.started else ():
            st.caption(note)
        best = snap.finished.best_epoch if snap.finished else (snap.history[-1].best_epoch if snap.history else 0)
        curves(job.data.task, job.data.classes, job.config.training.monitor, snap.rows(), snap.batch_losses,
               [(v.position, v.val_loss) for v in snap.validations], best,
               snap.finished.reason if snap.finished else "", snap.done)
        layer_health.live_section(job, snap, running=not snap.done)
    if done and was_running:
        st.rerun()  # the whole page: buttons and the run list change when a run ends


def queued(job) -> None:
    """Its place in line and what it waits for; no empty charts."""
    from dashboard.state import job_manager

    jobs = job_manager()
    place, training = jobs.place(job), jobs.training()
    slots = f"{jobs.max_concurrent} training slot{'s' if jobs.max_concurrent != 1 else ''}"
    waits = ", ".join(f"run {j.run_id} ({j.owner.name or 'another user'}, {j.snapshot().status})"
                      for j in training) or "a slot to free up"
    text = (f":material/hourglass_empty: **Queued: {ordinal(place)} in line** for this server's {slots}. It "
            f"starts when this ends: {waits}." if place else ":material/hourglass_empty: **Queued**: starting now…")
    if job.snapshot().paused_since is not None:
        text += " You paused it: it keeps its place and waits paused once its turn comes."
    st.info(text)


def progress_line(epochs: int, snap) -> None:
    p, status = snap.progress, snap.status
    parts = [f"{STATUS_ICONS.get(status, '')} {status.replace('_', ' ')}"]
    if p:
        parts.append(f"epoch {p.epoch}/{epochs} · batch {p.batch}/{p.batches}")
    elif snap.history:
        parts.append(f"epoch {len(snap.history)}/{epochs}")
    else:
        parts.append("preparing the data and the model…")
    if status == Status.RUNNING and p:
        parts.append(f"{p.samples_per_s:,.0f} proteins/s")
    parts.append(f"elapsed {clock(snap.elapsed())}")
    if status == Status.RUNNING:
        left = snap.eta(epochs)
        if math.isfinite(left):
            parts.append(f"about {clock(left)} left")
    if status == Status.PAUSED and snap.paused_since is not None:
        parts.append(f"paused for {clock(time.time() - snap.paused_since)}: press Resume to go on")
    position = p.position if p else float(len(snap.history))
    st.progress(1.0 if snap.done else min(position / max(epochs, 1), 1.0), text=" · ".join(parts))


def ended(reason: str, failed=None, message: str = "") -> None:
    if failed is not None:
        st.error(f"**The run failed.** {failed.message}")
        with st.expander("Technical details"):
            st.code(failed.error + "\n\n" + failed.traceback, language=None)
    elif reason:
        text = f"**{reason.replace('_', ' ')}**" + (f": {message}." if message else "")
        (st.warning if reason in (Status.DIVERGED, Status.INTERRUPTED, Status.FAILED) else st.success)(text)


def curves(task: str, classes, monitor: str, rows: list[dict], batch_losses, validations, best: int,
           reason: str, done: bool, key: str = "live") -> None:
    """Loss, metric small multiples, learning rate and gradient norm, then (once done) the diagnosis."""
    stopped = len(rows) if reason == Status.EARLY_STOPPED else 0
    st.plotly_chart(charts.loss_curves(rows, [b[0] for b in batch_losses], [b[1] for b in batch_losses], best, stopped,
                                       smoothing=st.session_state.get("smoothing", 0.6), validations=validations),
                    key=f"loss_{key}", width="stretch")
    if not rows:
        st.info("Metric curves appear after the first epoch; the training loss is drawn per batch now.")
        return
    one_class_warning(rows[-1], classes, "validation")
    metrics = MAIN_METRICS[task]
    st.plotly_chart(charts.metric_curves(rows, metrics, best, train_too=metrics[:1]), key=f"metrics_{key}",
                    width="stretch")
    a, b = st.columns(2)
    epochs = [r["epoch"] for r in rows]
    a.plotly_chart(charts.series_curve(epochs, [r["lr"] for r in rows], "Learning rate", "learning rate",
                                       log_y=all(r["lr"] > 0 for r in rows)), key=f"lr_{key}", width="stretch")
    b.plotly_chart(charts.series_curve(epochs, [r["grad_norm"] for r in rows], "Gradient norm (mean per epoch, "
                                       "before clipping)", "gradient norm", charts.VAL), key=f"grad_{key}",
                   width="stretch")
    if done:
        d = diagnose(rows, monitor, chance_loss=chance_loss(task, classes))
        st.markdown(f"#### Diagnosis: {d.title}")
        st.write(d.explanation)
        for s in d.suggestions:
            st.markdown(f"- {s}")


def one_class_warning(row: dict, classes, split: str, prefix: str = "val_") -> None:
    """Say so when a classifier predicts one class for every protein: its scores are then misleading."""
    k = one_class(row, prefix)
    if k is None:
        return
    name = classes[k] if k < len(classes) else str(k)
    share = row.get(f"{prefix}accuracy", math.nan)
    st.warning(f"**This model predicts one class ({name}) for every {split} protein.** Its accuracy "
               f"({share:.0%}) is just how common {name} is; F1 is 0 or undefined and MCC is undefined. It has not "
               "learned to tell the classes apart yet: train longer, raise the learning rate, or weigh the classes "
               "(loss: class weights balanced).")


def stored(run_id: str) -> None:
    """A run this server is not training: everything from the run store."""
    from dashboard.state import repository

    repo = repository()
    record = repo.find(run_id)
    if record is None:
        st.info("This run is not in the run store.")
        return
    rows, extra = repo.history(run_id), repo.curves(run_id)
    status = record.status
    epochs = (record.config.get("training") or {}).get("epochs", len(rows))
    st.progress(1.0 if record.done else min(len(rows) / max(epochs, 1), 1.0),
                text=f"{STATUS_ICONS.get(status, '')} {status.replace('_', ' ')} · {len(rows)}/{epochs} epochs"
                     + (f" · {clock(record.ended - record.started)}" if record.ended else ""))
    if not record.done:
        st.caption("Another process is training this run (the command line, a sweep, or another server); its "
                   "epochs appear here as it stores them.")
    ended(status if record.done else "", message=record.message)
    monitor = (record.config.get("training") or {}).get("monitor", "val_loss")
    curves(record.task, record.classes, monitor, rows, extra["batch_losses"], extra["validations"],
           record.best_epoch, status, record.done, key=f"stored_{run_id}")
    layer_health.section(record, key=f"layers_stored_{run_id}")


def clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def run_list(me: str, any_live: bool) -> None:
    """The user's runs, kept current every two seconds while any of them is going."""
    st.fragment(run_every=2 * REFRESH_S if any_live else None)(_run_list)(me)


def _run_list(me: str) -> None:
    from dashboard.state import repository

    st.dataframe(run_table(repository().runs(owner=me), me), hide_index=True, width="stretch")


def run_table(runs: list[RunRecord], me: str) -> list[dict]:
    """One row per run: whose, how it stands, what it trained and its main validation metric."""
    out = []
    for run in runs:
        main = f"test_{MAIN_METRICS.get(run.task, ('loss',))[0]}"
        test = (run.metrics or {}).get("test", {})
        value = test.get(main.removeprefix("test_"))
        note = ""
        if run.task in ("binary", "multiclass", "residue") and one_class(test) is not None:
            note = "predicts one class"
        out.append({"run": run.id, "owner": owner_label(run.owner, run.owner_name, me), "status":
                    run.status.replace("_", " "), "what": run.title, "data": run.dataset, "epochs": run.epochs,
                    "best epoch": run.best_epoch or None,
                    main.replace("_", " "): round(value, 4) if isinstance(value, float) else None, "note": note})
        if run.task == "multilabel":  # micro F1 pools every decision, so frequent labels dominate; macro weighs each
            macro = test.get("macro_f1")
            out[-1]["test macro f1"] = round(macro, 4) if isinstance(macro, float) else None
    return out
