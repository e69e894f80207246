"""Class page: the instructor's broadcast run, live, and the class board of an exercise (the runs students
submitted from its lesson link, one row per student, ranked by the exercise's metric over their seeds), with
the instructor's hide, show and delete. Every action goes through protscope/runs/classroom.py, which checks the
role on the server."""
import math

import pandas as pd
import streamlit as st

from dashboard import live, roles, session
from dashboard.state import broadcast, repository
from protscope.errors import ProtScopeError
from protscope.runs import classroom

st.title("Class")
ws, repo, me = session.workspace(), repository(), roles.actor()
on_air = broadcast().run_id
if on_air and (run := repo.find(on_air)) is not None:
    st.subheader(f":material/cast: Live from the instructor: run {on_air}")
    st.caption(run.title)
    live.show(on_air)  # each viewer reads the run's snapshots; none of them pauses it
    st.divider()
found = classroom.exercises(repo)
st.caption("The runs students submit from a lesson link (Train page: *Share as an exercise*), side by side. "
           + ("You are signed in as the instructor: you can hide runs from the board and delete them."
              if me.instructor else "Your own runs are marked; only the instructor can hide or delete others' runs."))
if not found:
    st.info("No runs have been submitted to an exercise yet. Open a lesson link and press **Train**: the run "
            "appears here when it ends.")
    st.stop()
mine = ws.exercise_id()
exercise = st.selectbox("Exercise", found, index=found.index(mine) if mine in found else 0,
                        format_func=lambda e: f"{e} (yours)" if e == mine else e)
rows = classroom.board(repo, exercise, include_hidden=me.instructor)
if not rows:
    st.info("No finished runs in this exercise yet" + ("" if me.instructor else " (or the instructor hid them)") + ".")
    st.stop()


def shown(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3f}"


metric = rows[0]["metric"]
table = pd.DataFrame([{"place": r["place"], "student": ("you · " if r["owner"] == ws.owner else "")
                       + (r["name"] or f"guest {r['owner'][:4]}"),
                       metric: shown(r["mean"]) + (f" ± {shown(r['sd'])}" if r["n"] > 1 else ""),
                       "runs": len(r["runs"]), "hidden": len(r["hidden"])} for r in rows])
if not me.instructor:
    table = table.drop(columns="hidden")
st.dataframe(table, hide_index=True, width="stretch")
st.caption(f"Ranked by {metric} on validation (the metric the exercise monitors; its best epoch), the mean over "
           "each student's runs ± sd where there are several. Runs still training join when they end.")

if me.instructor:
    st.subheader("Hide or delete a run")
    runs = [run_id for r in rows for run_id in r["runs"]]
    owner_of = {run_id: r["name"] or r["owner"][:8] for r in rows for run_id in r["runs"]}
    hidden = {run_id for r in rows for run_id in r["hidden"]}
    chosen = st.selectbox("Run", runs, format_func=lambda r: f"{r} · {owner_of[r]}" + (" (hidden)" if r in hidden
                                                                                       else ""))
    left, right = st.columns(2)
    try:
        if left.button("Show on the board" if chosen in hidden else "Hide from the board", width="stretch"):
            classroom.hide_run(repo, me, chosen, hidden=chosen not in hidden)
            st.rerun()
        if right.button("Delete the run", width="stretch", help="Its epochs, predictions and files are removed."):
            classroom.delete_run(repo, me, chosen)
            session.notice(f"Run {chosen} was deleted.", "success")
            st.rerun()
    except ProtScopeError as exc:
        st.error(str(exc))
