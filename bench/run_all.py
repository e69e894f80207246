"""Run every bench/bench_*.py script, each in its own process: what `make bench` runs.

Each script rewrites its own section of bench/README.md; this one then writes the summary of every
target first. A fresh interpreter per script matters: torch keeps an OpenMP thread pool for every
thread that ran a parallel op, and a later script sharing the process (the dashboard bench's AppTest
threads, say) ran the engine about 5x slower in absolute terms.

Scripts time work on the whole machine one after another, except the pair in TOGETHER: the soak
measures memory over a 10-minute live run, not time, so it runs beside the scale benchmark, the soak
pinned to the last CPU core and the scale benchmark to the others (both say so in their sections).
That keeps `make bench` under 15 minutes on 2 cores. On one core, or with `--one-at-a-time`, they
run in turn.

Options passed on to every script: `--quick` (tiny sizes, a smoke test; the README is left alone) and
`--strict` (a missed target counts as a failure). `--only NAME` runs the scripts whose file name
contains NAME. Exit status: 0 when every script exited 0, else 1.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

TOGETHER = ("bench_soak.py", "bench_scale.py")  # (the memory-only one, the one it runs beside)


def scripts(only: str = "") -> list[Path]:
    return [p for p in sorted(BENCH.glob("bench_*.py")) if only in p.name]


def available_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


def plan(found: list[Path], cpus: list[int], one_at_a_time: bool) -> list[list[tuple[Path, list[int] | None]]]:
    """Steps of (script, CPUs to pin it to, or None for all); the scripts of one step run at once."""
    names = [p.name for p in found]
    together = not one_at_a_time and len(cpus) > 1 and all(n in names for n in TOGETHER)
    steps = [[(p, None)] for p in found if not (together and p.name in TOGETHER)]
    if together:
        by_name = {p.name: p for p in found}
        steps.append([(by_name[TOGETHER[0]], cpus[-1:]), (by_name[TOGETHER[1]], cpus[:-1])])
    return steps


def start(path: Path, passed_on: list[str], report: Path, cpus: list[int] | None, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", f"bench.{path.stem}", *passed_on, "--report-json", str(report)]
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    with open(log, "wb") as out:  # the child keeps its own copy of the file
        return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, preexec_fn=pin)


def run_step(step, passed_on: list[str], folder: Path) -> dict[str, tuple[int, float, dict | None]]:
    """Start the step's scripts, wait for all; per script: exit status, seconds, and its report."""
    began, procs = time.perf_counter(), {}
    for path, cpus in step:
        where = f" on CPUs {cpus}" if cpus else ""
        print(f"=== {path.name} {' '.join(passed_on)}{where}".rstrip(), flush=True)
        procs[path] = start(path, passed_on, folder / f"{path.stem}.json", cpus, folder / f"{path.stem}.log")
    results = {}
    for path, proc in procs.items():
        status = proc.wait()
        took = time.perf_counter() - began
        output = (folder / f"{path.stem}.log").read_text(errors="replace")
        print(output if status or len(step) == 1 else output[-4000:], end="", flush=True)
        report = folder / f"{path.stem}.json"
        results[path.name] = (status, took, json.loads(report.read_text()) if report.exists() else None)
        print(f"=== {path.name}: {'ok' if not status else 'FAILED'} after {took:.1f} s\n", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every bench/bench_*.py script, each in its own process.")
    parser.add_argument("--quick", action="store_true", help="tiny sizes; the README is left alone")
    parser.add_argument("--strict", action="store_true", help="a missed target fails the run")
    parser.add_argument("--only", default="", help="run only scripts whose name contains this")
    parser.add_argument("--one-at-a-time", action="store_true", help="never run two scripts at once")
    args = parser.parse_args(argv)
    passed_on = (["--quick"] if args.quick else []) + (["--strict"] if args.strict else [])

    found = scripts(args.only)
    if not found:
        print(f"no bench/bench_*.py script matches '{args.only}'")
        return 1
    from bench import report
    from bench.report import Row

    began, reports, failed = time.perf_counter(), {}, []
    with tempfile.TemporaryDirectory(prefix="protscope-bench-") as tmp:
        for step in plan(found, available_cpus(), args.one_at_a_time):
            for name, (status, _, rep) in run_step(step, passed_on, Path(tmp)).items():
                if status:
                    failed.append(name)
                if rep is not None:
                    reports[rep["name"]] = {**rep, "rows": [Row(**row) for row in rep["rows"]]}
    if failed:
        print(f"failed: {', '.join(failed)}")
    if not args.quick and not args.only:
        report.update_readme(report.README, "summary", summary(reports, time.perf_counter() - began), first=True)
        print(f"wrote the summary of {report.README}")
    return 1 if failed else 0


def summary(reports: dict[str, dict], seconds: float) -> str:
    """Every row with a target, from every script, in one table."""
    lines = ["## Summary: every target", "", "| script | what | ours | ratio | target | result |", "|---|---|---|---|---|---|"]
    for name, rep in reports.items():
        for row in rep["rows"]:
            if row.passed is not None:
                cells = (name, row.what, row.ours, row.ratio, row.target, row.result)
                lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    info = next(iter(reports.values()))["info"] if reports else {}
    missed = sum(row.passed is False for rep in reports.values() for row in rep["rows"])
    lines += ["", f"`make bench` took {seconds / 60:.1f} min; {missed} target(s) missed. Machine: "
              f"{info.get('cpu', '?')}, {info.get('cores', '?')} cores, torch {info.get('torch', '?')}; "
              f"{info.get('date', '')}. Each script's section below has its notes."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
