"""Shared helpers: small, realistic protein tables built in memory."""
from __future__ import annotations

import os
from pathlib import Path

# Under pytest-xdist (`make test` runs one worker per core) each worker, and the servers and commands
# it starts, gets its share of the cores: torch's default of one thread per core in every worker
# would make them fight. Set before torch is first imported.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    _threads = str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
    for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, _threads)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from protscope.alphabet import ALPHABET  # noqa: E402

# Natural amino-acid frequencies (UniProt), in ALPHABET order, so generated sequences look real.
AA_FREQ = np.array([8.25, 1.38, 5.46, 6.72, 3.86, 7.07, 2.27, 5.92, 5.81, 9.65,
                    2.41, 4.06, 4.74, 3.93, 5.53, 6.64, 5.35, 6.86, 1.10, 2.92])


def random_sequences(n: int, seed: int = 0, low: int = 30, high: int = 300) -> list[str]:
    rng = np.random.default_rng(seed)
    letters = np.array(list(ALPHABET))
    p = AA_FREQ / AA_FREQ.sum()
    return ["".join(rng.choice(letters, size=rng.integers(low, high), p=p)) for _ in range(n)]


def csv_bytes(header: list[str], rows: list[list], sep: str = ",") -> bytes:
    lines = [sep.join(header)] + [sep.join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="session", autouse=True)
def runs_outside_the_checkout(tmp_path_factory):
    """Runs a test trains without naming a folder (the command line's default is ./runs) go to a
    temporary folder, never into the checkout; tests that choose their own folder still win."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PROTSCOPE_RUNS", str(tmp_path_factory.mktemp("default-runs")))
    yield
    mp.undo()


@pytest.fixture
def binary_csv() -> bytes:
    seqs = random_sequences(40, seed=1)
    return csv_bytes(["id", "sequence", "label"], [[f"p{i}", s, i % 2] for i, s in enumerate(seqs)])


@pytest.fixture
def residue_csv() -> bytes:
    seqs = random_sequences(30, seed=2)
    rng = np.random.default_rng(3)
    rows = []
    for i, s in enumerate(seqs):
        ss = "".join(rng.choice(list("HEC"), size=len(s)))
        mask = "".join(rng.choice(list("01"), size=len(s), p=[0.1, 0.9]))
        rows.append([f"r{i}", s, ss, mask])
    return csv_bytes(["id", "sequence", "ss3", "resolved"], rows)


def tiny_dataset(task: str, n: int = 64, seed: int = 0):
    """A small in-memory dataset with a learnable signal, for engine tests.

    binary: is the protein lysine-rich; multiclass: which of K, E, W is most enriched;
    regression: the lysine fraction; residue: H on K/E/A/L, E on V/I/Y/F/W/T, else C.
    """
    from protscope.config.sections import DataConfig
    from protscope.data.builtin import load_bytes

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        seq = list(random_sequences(1, seed=seed * 1000 + i, low=20, high=60)[0])
        boost = "KEW"[i % 3]
        for j in rng.choice(len(seq), size=len(seq) // 4, replace=False):
            if task != "residue":
                seq[j] = boost if task == "multiclass" else ("K" if i % 2 else seq[j])
        seq = "".join(seq)
        if task == "binary":
            label = i % 2
        elif task == "multiclass":
            label = boost
        elif task == "regression":
            label = round(seq.count("K") / len(seq) * 10, 4)
        else:
            label = "".join("H" if c in "KEAL" else "E" if c in "VIYFWT" else "C" for c in seq)
        rows.append([f"t{i}", seq, label])
    header = ["id", "sequence", "ss3" if task == "residue" else "label"]
    return load_bytes(csv_bytes(header, rows), f"tiny-{task}.csv", DataConfig())


MULTILABELS = ("lysine", "tryptophan", "acidic")


def multilabel_rows(n: int = 90, seed: int = 0) -> list[list]:
    """[id, sequence, three 0/1 labels] with a learnable signal: each label, drawn on its own (so every
    combination occurs), enriches its residues (K; W; D and E) in a quarter of the sequence."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        seq = list(random_sequences(1, seed=seed * 1000 + i, low=30, high=60)[0])
        carried = rng.random(3) < (0.5, 0.4, 0.3)
        for residues, on in zip(("K", "W", "DE"), carried):
            if on:
                for j in rng.choice(len(seq), size=len(seq) // 4, replace=False):
                    seq[j] = residues[j % len(residues)]
        rows.append([f"m{i}", "".join(seq), *carried.astype(int).tolist()])
    return rows


def multilabel_csv(n: int = 90, seed: int = 0) -> bytes:
    return csv_bytes(["id", "sequence", *MULTILABELS], multilabel_rows(n, seed))


@pytest.fixture(scope="session")
def tiny():
    """tiny[task] -> (ProteinData, Split) for each task, built once."""
    from protscope.config.sections import DataConfig
    from protscope.data.splits import make_split

    out = {}
    for task in ("binary", "multiclass", "regression", "residue"):
        data = tiny_dataset(task)
        out[task] = (data, make_split(data, DataConfig(val_fraction=0.2, test_fraction=0.2)))
    return out


@pytest.fixture
def fresh_dashboard(tmp_path, monkeypatch):
    """An AppTest dashboard with its own run folder, run store and empty job list."""
    from dashboard.state import broadcast, job_manager, run_store

    monkeypatch.setenv("PROTSCOPE_RUNS", str(tmp_path / "runs"))
    monkeypatch.delenv("PROTSCOPE_DB", raising=False)
    job_manager.clear()
    run_store.clear()
    broadcast.clear()
    yield
    job_manager().stop_all()
    job_manager.clear()
    run_store.clear()


FAILED = Path(__file__).resolve().parent / "artifacts" / "failed"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A browser test that fails leaves what every open page showed: a screenshot in tests/artifacts/failed/ and the
    page's text in the report (CI keeps a failed run's output, not its files)."""
    outcome = yield
    report = outcome.get_result()
    args = getattr(item, "funcargs", {})
    browser = args.get("browser") or (args["page"].context.browser if "page" in args else None)
    if report.when != "call" or not report.failed or browser is None:
        return
    FAILED.mkdir(parents=True, exist_ok=True)
    pages = [page for context in browser.contexts for page in context.pages]
    for i, page in enumerate(pages):
        try:
            page.screenshot(path=str(FAILED / f"{item.name}-{i}.png"), full_page=True)
            text = page.locator("body").inner_text(timeout=5_000)
        except Exception as error:  # a closed or hung page: say so, keep the test's own failure
            text = f"(could not read the page: {error})"
        report.sections.append((f"page {i} at {page.url}", text[:3000]))


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright, one per test module (skipped without one, except under CI)."""
    from tests.e2e.browser import need_browser
    from tools.serve import launch_chromium

    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def new_context(browser):
    """new_context(**options): a browser profile closed after the test's report, so that a failed test's pages are
    still open for the screenshots above (contexts closed in the test's own `finally` are gone by then)."""
    made = []

    def new(**options):
        made.append(browser.new_context(**options))
        return made[-1]
    yield new
    for context in made:
        context.close()


# The longest files first, browser files (mostly waiting on a live server) alternating with compute-bound ones,
# so that no worker is left running a long file alone at the end and the two workers seldom drive chromium at
# the same moment (two live browser files side by side on 2 cores starve each other's pages: a CI run timed out
# waiting for 4 sessions' runs to show "completed"). The Makefile passes --no-loadscope-reorder: otherwise xdist
# deals the files out by their number of tests, and the browser files (few tests, long ones) run last, together.
SLOW_FIRST = ("e2e/test_trust.py", "test_bench_smoke", "reliability/test_sessions", "test_presets",
              "e2e/test_trust_runs", "test_lessons.py", "e2e/test_explain_views", "test_sanity_checks",
              "e2e/test_layer_health", "test_cli_train", "e2e/test_browser", "test_sweeps", "e2e/",
              "test_multilabel_training", "reliability/", "test_fuzz", "test_real_files", "test_bench")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        return next((i for i, part in enumerate(SLOW_FIRST) if part in item.nodeid), len(SLOW_FIRST))

    items.sort(key=rank)  # stable: each file's tests keep their order and stay together
