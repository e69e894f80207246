"""What every bench script shares: its command line, and rewriting its own section of bench/README.md.

    sys.exit(bench_main(__doc__, run, markdown, text_table, NAME, README))
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path

INTRO = """# ProtScope benchmarks

Each `bench/bench_*.py` script measures part of the engine against a straightforward reference
and rewrites its own section of this file (between its `<!-- name:start -->` and
`<!-- name:end -->` markers). Results are ratios measured side by side in one process, because
absolute times on a shared machine are noise. `make bench` (that is, `python bench/run_all.py`)
runs every script in a process of its own and writes the summary of every target first;
`python bench/bench_encoding.py` runs one; `--quick` runs tiny sizes as a smoke test and leaves
this file alone.

The scripts: `bench_encoding` (tokenisation, one-hot and window encodings, token storage),
`bench_engine` (the engine against a bare PyTorch loop and the course notes' recipes),
`bench_scale` (10k, 30k and 100k sequences from file to first epoch, MMseqs2), `bench_dashboard`
(the real app in chromium, the Compare page under 20 long runs), `bench_soak` (the server's memory
over a 10-minute live run; in `make bench` it runs beside `bench_scale`, each on its own CPU cores)
and `bench_gpu` (CUDA only; skipped elsewhere).
"""


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


README = Path(__file__).resolve().parent / "README.md"


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
