"""Files written by other projects, uploaded in a real browser as a new user would (chromium against
`streamlit run`): a BGZF GenBank genome with a label CSV keyed by NCBI ids (which must change no
setting on the way), a table of flowers, and a gapped DNA alignment. Screenshots go to tests/artifacts/upload-*.png.
"""
import re

import pytest

from tests.e2e.browser import ARTIFACTS, ROOT, need_browser, start, wait_idle
from tools.serve import Server

REAL = ROOT / "tests" / "data" / "real"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    need_browser()
    runs = tmp_path_factory.mktemp("runs")
    server = start(Server(runs, log=runs / "server.log"))
    yield server.url
    server.stop()


@pytest.fixture
def page(server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(server)
    page.get_by_role("heading", name="Data").wait_for()
    page.get_by_text("My own file").click()
    wait_idle(page)
    yield page
    context.close()


def _give(page, index: int, path) -> None:
    page.locator("input[type=file]").nth(index).set_input_files(str(path))
    wait_idle(page)


def test_a_bgzf_genbank_genome_with_a_label_csv_loads_its_85_proteins(page):
    _give(page, 0, REAL / "biopython/GenBank/NC_000932.gb.bgz")
    page.get_by_text(re.compile(r"Using your file NC_000932\.gb\.bgz")).wait_for()
    _give(page, 1, REAL / "made/NC_000932_labels.csv")
    page.get_by_text(re.compile(r"Using your file .*with labels from .*NC_000932_labels\.csv")).first.wait_for()
    page.get_by_text(re.compile(r"/translation proteins were read instead")).first.wait_for()
    text = page.locator("section.main, [data-testid=stMain]").first.inner_text()
    assert re.search(r"\b85\b", text), text[:2000]
    assert "Traceback" not in text
    # The second upload once reset every number box to its minimum (max length 2,000 -> 1, validation and
    # test fractions 0.1 -> 0.01): the browser had lost their state and sent its defaults back.
    changes = page.get_by_test_id("stSidebar").inner_text()
    assert "max length changed" not in changes and "fraction changed" not in changes, changes
    page.screenshot(path=str(ARTIFACTS / "upload-genbank-bgzf.png"), full_page=True)


def test_iris_is_refused_with_what_each_column_looked_like(page):
    _give(page, 0, REAL / "csvkit/iris.csv")
    error = page.get_by_test_id("stAlertContentError").first
    error.wait_for()
    message = error.inner_text()
    assert "no column looks like protein sequences" in message and "species" in message, message
    page.screenshot(path=str(ARTIFACTS / "upload-iris-refused.png"), full_page=True)


def test_a_gapped_dna_alignment_is_refused_as_dna(page):
    _give(page, 0, REAL / "biopython/Clustalw/opuntia.aln")
    error = page.get_by_test_id("stAlertContentError").first
    error.wait_for()
    assert re.search(r"nucleotide letters.*DNA or RNA", error.inner_text()), error.inner_text()
    page.screenshot(path=str(ARTIFACTS / "upload-dna-alignment-refused.png"), full_page=True)
