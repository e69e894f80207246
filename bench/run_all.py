"""Run every bench/bench_*.py script's main() in turn: what `make bench` runs.

Each script rewrites its own section of bench/README.md. Options are passed on to every script:
`--quick` (tiny sizes, a smoke test; the README is left alone) and `--strict` (a missed target
counts as a failure). `--only NAME` runs the scripts whose file name contains NAME.
Exit status: 0 when every script returned 0, else 1.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import traceback
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def scripts(only: str = "") -> list[Path]:
    return [p for p in sorted(BENCH.glob("bench_*.py")) if only in p.name]


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every bench/bench_*.py script.")
    parser.add_argument("--quick", action="store_true", help="tiny sizes; the README is left alone")
    parser.add_argument("--strict", action="store_true", help="a missed target fails the run")
    parser.add_argument("--only", default="", help="run only scripts whose name contains this")
    args = parser.parse_args(argv)
    passed_on = (["--quick"] if args.quick else []) + (["--strict"] if args.strict else [])

    found = scripts(args.only)
    if not found:
        print(f"no bench/bench_*.py script matches '{args.only}'")
        return 1
    from bench import report

    failed, began = [], time.perf_counter()
    for path in found:
        print(f"=== {path.name} {' '.join(passed_on)}".rstrip(), flush=True)
        start = time.perf_counter()
        try:
            status = load(path).main(list(passed_on))
        except Exception:  # one broken script must not hide the others' results
            traceback.print_exc()
            status = 1
        took = time.perf_counter() - start
        print(f"=== {path.name}: {'ok' if not status else 'FAILED'} in {took:.1f} s\n", flush=True)
        if status:
            failed.append(path.name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    if not args.quick and not args.only:
        report.update_readme(report.README, "summary", summary(report.REPORTS, time.perf_counter() - began),
                             first=True)
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
