"""The Compare page's exports in a real browser: written only on a click, by `streamlit run` in one of its
server threads, they must still be the files the page used to build on every rerun."""
import json
from pathlib import Path

from protscope.config.run_config import RunConfig
from protscope.runs.store import open_store
from protscope.serialise import clean_json, csv_text
from tests.e2e.browser import need_browser, start, wait_idle
from tools.serve import Server, launch_chromium


def fill(store) -> None:
    for i, optimizer in enumerate(("sgd", "adam", "sgd")):
        config = RunConfig().with_values(optimizer=optimizer, seed=i, epochs=3).to_dict()
        store.create_run(f"r{i}", f"{optimizer}-{i}", config, "esol", "f" * 8, "binary", None)
        for epoch in (1, 2, 3):
            store.add_epoch(f"r{i}", {"epoch": epoch, "train_loss": 1 / epoch, "val_loss": float("nan") if i == 2
                                      else 1.1 / epoch, "note": "=HYPERLINK()", "seconds": 1.5})
        store.finish_run(f"r{i}", "completed", "trained all 3 epochs", 3, {"test": {"accuracy": 0.6 + i / 10}})


def test_exports_download_the_same_files_when_clicked(tmp_path):
    from playwright.sync_api import sync_playwright

    need_browser()
    store = open_store(tmp_path / "protscope.db")
    fill(store)
    runs = store.list_runs()
    histories = {r["id"]: store.history(r["id"]) for r in runs}
    expected = {"protscope-curves.csv": csv_text([{"run": rid, **h} for rid, rows in histories.items() for h in rows]),
                "protscope-runs.json": json.dumps(clean_json({"runs": runs, "curves": histories}))}
    server = start(Server(tmp_path, log=tmp_path / "server.log"))
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(server.url + "/compare")
            page.get_by_text("Everyone's (classmates, command line, sweeps)").click()  # the runs stored here
            page.get_by_role("button", name="Runs and curves (JSON)").wait_for()
            wait_idle(page)
            got = {}
            for label in ("Run table (CSV)", "Curves (CSV)", "Runs and curves (JSON)"):
                with page.expect_download() as download:
                    page.get_by_role("button", name=label).click()
                got[download.value.suggested_filename] = Path(download.value.path()).read_bytes().decode()
            browser.close()
    finally:
        server.stop()
    assert set(got) == {"protscope-runs.csv", *expected}
    assert {name: got[name] for name in expected} == expected
    assert got["protscope-runs.csv"].splitlines()[0].startswith("name,owner,status,note,reason,dataset,optimizer,seed")
