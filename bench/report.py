"""What every bench script shares: its command line, its result rows and tables, the machine it ran on,
and rewriting its own section of bench/README.md.

    sys.exit(bench_main(__doc__, run, markdown, text_table, NAME, README))
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

INTRO = """# ProtScope benchmarks

Each `bench/bench_*.py` script measures part of the engine against a straightforward reference
and rewrites its own section of this file (between its `<!-- name:start -->` and
`<!-- name:end -->` markers). Results are ratios measured side by side in one process, because
absolute times on a shared machine are noise. `make bench` (that is, `python -m bench.run_all`)
runs every script in a process of its own and writes the summary of every target first;
`python -m bench.bench_encoding` runs one; `--quick` runs tiny sizes as a smoke test and leaves
this file alone.

The scripts: `bench_encoding` (tokenisation, one-hot and window encodings, token storage),
`bench_engine` (the engine against a bare PyTorch loop and the course notes' recipes),
`bench_scale` (10k, 30k and 100k sequences from file to first epoch, MMseqs2), `bench_dashboard`
(the real app in chromium, the Compare page under 20 long runs), `bench_soak` (the server's memory
over a 10-minute live run; in `make bench` it runs beside `bench_scale`, each on its own CPU cores)
`bench_target` (time to each case study's validation target: ProtScope now against the course notes' recipe
and against the preset before its time-to-target changes), `bench_class` (30 simulated students on one server: a
lesson link, a run each, the instructor's broadcast) and `bench_gpu` (CUDA only; skipped elsewhere).
"""


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


README = Path(__file__).resolve().parent / "README.md"


def marked_sections(text: str) -> str:
    """Every `<!-- name:start --> ... <!-- name:end -->` block of `text`, for a file rewritten around them."""
    blocks = re.findall(r"^<!-- ([\w-]+):start -->\n.*?^<!-- \1:end -->", text, flags=re.M | re.S)
    found = [re.search(rf"^<!-- {name}:start -->\n.*?^<!-- {name}:end -->", text, flags=re.M | re.S).group(0)
             for name in blocks]
    return "".join(f"\n{block}\n" for block in found)


def update_readme(path: Path, name: str, section: str, first: bool = False) -> None:
    """Replace the `name` section between its markers; if absent, add it at the end (or before every
    other section, with `first`), creating the file if need be."""
    start, end = markers(name)
    block = f"{start}\n{section}\n{end}"
    text = path.read_text() if path.exists() else INTRO
    if start in text and end in text and text.index(start) < text.index(end):
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    elif first and (section := re.search(r"^<!-- \w+:start -->", text, flags=re.M)):
        text = text[:section.start()] + block + "\n\n" + text[section.start():]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def bench_main(doc: str, run: Callable[..., dict], markdown: Callable[[dict], str], text_table: Callable,
               name: str, readme: Path, argv: list[str] | None = None) -> int:
    """Run a bench script: print its table, rewrite its README section (full runs), report missed targets."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke test; does not write the README")
    parser.add_argument("--readme", type=Path, default=None,
                        help=f"markdown file to update (default {readme.name}, full runs only)")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--report-json", type=Path, default=None,
                        help="also write the report (rows, info, notes) here, for run_all's summary")
    args = parser.parse_args(argv)

    report = run(quick=args.quick)
    if args.report_json:
        args.report_json.write_text(json.dumps({"name": name, **report, "rows": [
            dataclasses.asdict(row) for row in report["rows"]]}, indent=1))
    print()
    print(text_table(report["rows"]))
    print()
    for key, value in report["info"].items():
        print(f"{key}: {value}")
    target = args.readme or (None if args.quick else readme)
    if target is not None and not args.no_readme:
        update_readme(target, name, markdown(report))
        print(f"wrote the '{name}' section of {target}")
    missed = [r.what for r in report["rows"] if r.passed is False]
    if missed:
        print(f"{len(missed)} target(s) missed: " + "; ".join(w.replace("`", "") for w in missed))
    return 1 if (missed and args.strict) else 0


# --- rows, tables and the machine ------------------------------------------------------------------

@dataclass
class Row:
    what: str
    ours: str
    reference: str = "—"
    ratio: str = "—"
    target: str = "—"
    passed: bool | None = None  # None: for information, no target

    @property
    def result(self) -> str:
        return "info" if self.passed is None else ("PASS" if self.passed else "FAIL")

def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.1f} µs"

def fmt_bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"

def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return {"cpu": cpu, "cores": str(core_count()), "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "load (1/5/15 min) at start": load,
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")}

def core_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1

HEADER = ("what", "ours", "reference", "ratio", "target", "result")

def row_cells(row: Row) -> tuple[str, ...]:
    return (row.what, row.ours, row.reference, row.ratio, row.target, row.result)

def text_table(rows: list[Row]) -> str:
    cells = [HEADER] + [tuple(c.replace("`", "") for c in row_cells(r)) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    widths[0] = min(widths[0], 70)
    lines = []
    for c in cells:
        first = c[0] if len(c[0]) <= widths[0] else c[0][:widths[0] - 1] + "…"
        lines.append("  ".join([first.ljust(widths[0])] + [x.ljust(w) for x, w in zip(c[1:], widths[1:])]))
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)

def section_markdown(title: str, intro: str, report: dict) -> str:
    """A bench/README.md section: heading, intro line, the table, notes, machine and run."""
    out = [f"## {title}", "", intro, "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in row_cells(r)) + " |" for r in report["rows"]]
    if report["notes"]:
        out += ["", "Notes:", ""] + [f"- {note}" for note in report["notes"]]
    out += ["", "Machine and run:", ""] + [f"- {k}: {v}" for k, v in report["info"].items()]
    return "\n".join(out)
