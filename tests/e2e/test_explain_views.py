"""What the model looks at, in chromium, on runs recorded before the server started (as the dashboard records
its own): a CNN trained on the planted-motif dataset, explained on Predict (a logo, then the mutagenesis heat
map) and on Evaluate (its learned motifs, its learned space with a protein clicked and explained, its worst
predicted test protein), and a GB1 network's predicted mutation effects beside the measured ones.
Screenshots go to tests/artifacts/explain-*.png."""
import re

import pytest

from protscope.config.layering import layered
from protscope.data.builtin import config_for, load_data
from protscope.explain.planted import motif_table
from protscope.lessons.catalog import LESSONS
from protscope.runs.jobs import JobManager
from protscope.runs.store import RunStore
from tests.e2e.browser import ARTIFACTS, open_expander, open_page, shot, start, wait_idle, wait_until
from tools.serve import Server

PLANTED, GB1 = "planted-cnn", "gb1-mlp"


def record_runs(folder) -> None:
    store = RunStore(folder / "protscope.db")
    manager = JobManager(folder, max_concurrent=1, store=store)
    gb1 = dict(encoding="onehot", model="mlp", epochs=6, early_stopping=False)
    for label, base in ((PLANTED, LESSONS["planted-motif"].base), (GB1, {"dataset": "gb1", **gb1})):
        config = layered(preset={k: v for k, v in base.items() if k != "dataset"},
                         data=config_for(base["dataset"]).to_dict())
        job = manager.submit(config, load_data(config.data), label=label)
        job.trainer.wait(180)
        assert job.finished_recording.wait(60)
    manager.stop_all()
    store.close()


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    record_runs(runs)
    server = start(Server(runs, log=runs / "server.log"))
    yield server
    server.stop()


def shot_between(page, top, bottom, name: str) -> None:
    """A screenshot of the page from the top of `top` to the bottom of `bottom` (the README's pictures)."""
    page.mouse.move(0, 0)  # no tooltip of the last button pressed
    page.wait_for_timeout(300)
    first, last = top.bounding_box(), bottom.bounding_box()
    scroll = page.evaluate("window.scrollY")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True,
                    clip={"x": first["x"] - 12, "y": first["y"] + scroll - 12, "width": last["x"] + last["width"] -
                          first["x"] + 24, "height": last["y"] + last["height"] - first["y"] + 24})


def choose_run(page, name: str) -> None:
    """Everyone's runs (these were recorded by no browser), then the run by its name."""
    page.get_by_test_id("stCheckbox").get_by_text("Everyone's runs").click()
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Run").first.click()
    page.get_by_role("option", name=re.compile(name)).click()
    wait_idle(page)


def test_predict_explains_a_sequence_with_a_logo_and_a_mutation_map(server, tall):
    table = motif_table()
    carrier = table[(table["split"] == "test") & (table["label"] == 1)].iloc[0]
    page = open_page(tall, f"{server.url}/predict", ready=None)
    page.get_by_role("heading", name="Predict").wait_for()
    choose_run(page, PLANTED)
    page.get_by_role("heading", name="What the model looks at").scroll_into_view_if_needed()
    box = page.get_by_label("Sequence to explain", exact=True).and_(page.get_by_role("textbox"))
    box.fill(carrier["sequence"])
    box.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Explain", exact=True).click()
    page.get_by_text(re.compile("^Prediction:")).wait_for(timeout=60_000)
    page.get_by_test_id("stImage").first.wait_for()  # the logo
    page.get_by_text(re.compile("^Each cell is the change of the log-odds")).wait_for(timeout=120_000)
    page.locator(".gtitle").filter(has_text="Every single substitution").first.wait_for()
    caption = page.get_by_text(re.compile("^Each letter is as tall")).inner_text()
    assert re.search(r"gap \d+\.\d%", caption)  # Integrated Gradients says how complete it is
    page.wait_for_timeout(800)
    shot(page, "explain-predict")
    shot_between(page, page.get_by_role("heading", name="What the model looks at"),
                 page.get_by_text(re.compile("^Each cell is the change of the log-odds")), "explain-predict-view")


def test_evaluate_shows_learned_motifs_space_and_the_worst_protein_explained(server, tall):
    page = open_page(tall, f"{server.url}/evaluate", ready=None)
    page.get_by_role("heading", name="Evaluate").wait_for()
    choose_run(page, PLANTED)
    open_expander(page, "Learned motifs")
    page.get_by_role("button", name="Find the learned motifs").click()
    page.get_by_text(re.compile("^Influence: the mean change")).wait_for(timeout=120_000)
    assert page.get_by_test_id("stImage").count() >= 2  # the weight logos and the PWM logos
    page.get_by_test_id("stExpander").filter(has_text="Learned motifs").first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    shot(page, "explain-learned-motifs")
    shot_between(page, page.get_by_text(re.compile("^Weights")).first,
                 page.get_by_text(re.compile("^Influence: the mean change")), "explain-learned-motifs-view")

    open_expander(page, "Learned space")
    chart = page.locator("[class*='st-key-space_chart_']").first
    chart.locator(".slider-container").first.wait_for()  # animated over the recorded epochs
    point = chart.locator(".scatterlayer .point").first
    point.wait_for()
    point.click(force=True)
    wait_idle(page)
    page.get_by_role("button", name="Explain this prediction residue by residue").click()
    page.get_by_text(re.compile("^Explained: the log-odds")).wait_for(timeout=60_000)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    shot(page, "explain-learned-space")

    open_expander(page, "Residues behind the predictions")
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Protein")
    chosen = picker.locator("input")
    wait_until(lambda: chosen.input_value().startswith("worst predicted: "), timeout=30)  # the worst comes first
    page.locator(".st-key-eval_explain_go").get_by_role("button", name="Explain", exact=True).click()
    page.get_by_text(re.compile("^Prediction:")).last.wait_for(timeout=60_000)


def test_evaluate_sets_gb1s_predicted_mutation_effects_beside_the_measured_ones(server, tall):
    page = open_page(tall, f"{server.url}/evaluate", ready=None)
    page.get_by_role("heading", name="Evaluate").wait_for()
    choose_run(page, GB1)
    open_expander(page, "Mutation effects: predicted beside measured")
    title = page.locator(".gtitle").filter(has_text="Single mutants, predicted against measured")
    title.first.wait_for(timeout=60_000)
    assert re.search(r"Spearman -?\d\.\d\d over 27", title.first.text_content())
    assert page.get_by_role("textbox", name="Wild type (its row id or sequence)").input_value() == "VDGV"
    page.get_by_test_id("stExpander").filter(has_text="Mutation effects").first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    shot(page, "explain-gb1-measured")
    view = page.get_by_test_id("stExpander").filter(has_text="Mutation effects").first
    shot_between(page, view, view, "explain-gb1-measured-view")
