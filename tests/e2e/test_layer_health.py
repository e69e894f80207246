"""The Layer health view in chromium: it appears under a live run's curves and follows the run while it
trains, a click on a table row opens that layer's distributions (and stays open through the redraws),
and on Evaluate two finished runs of one network (seeds 1 and 2, recorded before the server started,
as the dashboard records its own) are overlaid. Screenshots go to tests/artifacts/layer-health-*.png.
"""
import re

import pytest

from protscope.config.run_config import RunConfig
from protscope.runs.jobs import JobManager
from protscope.runs.store import RunStore
from tests.conftest import tiny_dataset
from tests.e2e.browser import go, open_expander, open_page, press, shot, start, stop, wait_idle, wait_until
from tools.serve import Server

STEP = re.compile(r"latest: step (\d+)")
LIVE = "model=mlp&encoding=aac&hidden=32&epochs=10000"  # layer_stats_every automatic: at least once an epoch
SEEDS = (1, 2)
SEED_1 = "layers-seed1 · seed 1"  # a run as the overlays name it: its name and seed


def record_two_seeds(folder) -> None:
    """Two finished 2-epoch runs of one small ReLU MLP, differing only in their seed."""
    store = RunStore(folder / "protscope.db")
    manager = JobManager(folder, max_concurrent=1, store=store)
    data = tiny_dataset("binary")
    for seed in SEEDS:
        config = RunConfig().with_values(epochs=2, batch_size=16, model="mlp", encoding="aac", hidden=(16, 16),
                                         seed=seed, layer_stats_every=1)
        job = manager.submit(config, data, label=f"layers-seed{seed}")
        job.trainer.wait(120)
        assert job.finished_recording.wait(60)
    manager.stop_all()
    store.close()


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    record_two_seeds(runs)
    server = start(Server(runs, log=runs / "server.log"))
    yield server
    server.stop()


def step_of(locator) -> int:
    return int(STEP.search(locator.inner_text()).group(1))


def click_row(page, table, row: int) -> None:
    """Tick row `row` (1 = the first) in the row-selection column of a st.dataframe (a canvas)."""
    box = table.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + 36 + 35 * (row - 1) + 17)


def test_layer_health_follows_a_live_run_and_overlays_two_seeds_on_evaluate(server, tall):
    page = open_page(tall, f"{server.url}/train?{LIVE}")
    press(page, "Train")
    page.get_by_test_id("stProgress").get_by_text(re.compile("running")).wait_for()
    open_expander(page, "Layer health")
    view = page.locator(".st-key-layer_health_open")
    latest = view.get_by_text(STEP)
    latest.wait_for()
    first = step_of(latest)
    wait_until(lambda: step_of(latest) > first, timeout=60)  # redrawn live: a later record, no click
    table = view.get_by_test_id("stDataFrame")
    assert int(table.locator("[role=grid]").get_attribute("aria-rowcount")) >= 2  # the header and a layer or more
    assert "updating while it trains" in latest.inner_text()
    view.get_by_text("Layer 1: blocks.0.linear (Linear, relu)").wait_for()  # before a click: the first layer
    shot(page, "layer-health-live")

    click_row(page, table, 2)
    view.get_by_text("Layer 2: head (Linear)").wait_for()
    later = step_of(latest)
    wait_until(lambda: step_of(latest) > later, timeout=60)  # the live redraws keep the choice
    assert view.get_by_text("Layer 2: head (Linear)").count() == 1
    view.get_by_test_id("stRadio").get_by_text("activations").click()
    view.get_by_text(re.compile("no activations recorded for head")).first.wait_for()  # said, not a blank chart
    view.get_by_test_id("stRadio").get_by_text("gradients").click()
    view.get_by_text("head: gradients over training").first.wait_for()  # (a redraw can briefly show two)
    view.get_by_text("head: gradients, percentile bands").first.wait_for()
    shot(page, "layer-health-live-layer")
    stop(page)

    go(page, "3 · Evaluate")
    page.get_by_test_id("stCheckbox").get_by_text("Everyone's runs").click()  # the seeds were not this browser's
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Run").click()
    page.get_by_role("option", name=re.compile("layers-seed1")).click()
    wait_idle(page)
    open_expander(page, "Layer health: no layer breaks a rule of thumb")  # its label tells, closed
    overlay = page.get_by_test_id("stMultiSelect").filter(has_text="Overlay other runs")
    overlay.get_by_role("combobox").click()
    page.keyboard.press("ArrowDown")  # opens the list
    options = page.get_by_role("option")
    options.first.wait_for()
    assert [o.inner_text() for o in options.all()] == ["layers-seed2 · seed 2"]  # same network; the live run is not
    options.first.click()
    page.keyboard.press("Escape")
    wait_idle(page)
    legend = page.locator("[class*='st-key-eval_layers_'][class*='_flow']").first.locator(".legendtext")
    legend.first.wait_for()
    names = [t.text_content() for t in legend.all()]  # SVG text
    assert any(n.startswith(f"{SEED_1} (this run)") for n in names), names
    assert any(n.startswith("layers-seed2 · seed 2") for n in names), names
    bands = page.locator("[class*='st-key-eval_layers_'][class*='_bands']").first.locator(".legendtext")
    assert sorted(t.text_content() for t in bands.all()) == [f"{SEED_1} (this run)", "layers-seed2 · seed 2"]
    page.get_by_test_id("stExpander").filter(has_text="Layer health").first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    shot(page, "layer-health-evaluate-overlay")
