"""The house rules: the engine is a library that never imports Streamlit or the app, its parts import
one another only downwards (tests/import_graph.py's MAY_IMPORT), nothing imports in a cycle, nothing
edits sys.path, and the source is ruff-clean. Each rule is also shown to fail on a planted breach.
"""
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import protscope
from tests.import_graph import MAY_IMPORT, cycles, graph, layer_violations, part_of

ROOT = Path(__file__).resolve().parent.parent
SOURCE_FOLDERS = ("protscope", "dashboard", "tools", "tests", "bench")


def engine_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(protscope.__path__, "protscope.") if not m.name.endswith("__main__")]


def test_the_engine_never_imports_streamlit():
    modules = engine_modules()
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "assert 'streamlit' not in sys.modules, 'the engine imported streamlit'\n"
            "assert not any(m == 'dashboard' or m.startswith('dashboard.') for m in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(modules) >= 50


def test_the_dashboards_pure_logic_never_imports_streamlit():
    code = ("import importlib, pkgutil, sys, dashboard.logic as logic\n"
            "for m in pkgutil.iter_modules(logic.__path__): importlib.import_module('dashboard.logic.' + m.name)\n"
            "assert 'streamlit' not in sys.modules, 'dashboard.logic imported streamlit'\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_every_engine_part_has_a_layer_rule():
    parts = {part_of(m) for m in engine_modules()}
    assert parts <= set(MAY_IMPORT), parts - set(MAY_IMPORT)
    assert {"data", "modeling", "config", "train", "runs", "script_export", "cli"} <= parts


def test_imports_follow_the_layers():
    assert layer_violations(graph(ROOT), ROOT) == []


def test_no_import_cycles():
    assert cycles(graph(ROOT)) == []


def sys_path_edits(root: Path) -> list[str]:
    """file:line of every mention of sys.path outside this file (imports hold together by the install)."""
    return [f"{path.relative_to(root)}:{number}" for folder in SOURCE_FOLDERS for path in (root / folder).rglob("*.py")
            if path.name != Path(__file__).name
            for number, line in enumerate(path.read_text().splitlines(), 1) if re.search(r"sys\.path\b", line)]


def test_no_sys_path_edits():
    assert sys_path_edits(ROOT) == []


def test_ruff_is_clean():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", *SOURCE_FOLDERS], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def copy_of_the_tree(tmp_path):
    for package in ("protscope", "dashboard"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    assert cycles(graph(tmp_path)) == [] and layer_violations(graph(tmp_path), tmp_path) == []
    return tmp_path


def test_a_planted_cycle_is_found(copy_of_the_tree):
    # errors <- alphabet already; errors importing alphabet back, inside a function, closes the loop
    errors = copy_of_the_tree / "protscope" / "errors.py"
    errors.write_text(errors.read_text() + "\n\ndef _late():\n    from protscope import alphabet  # noqa\n")
    assert cycles(graph(copy_of_the_tree)) == [["protscope.alphabet", "protscope.errors"]]


def test_planted_forbidden_imports_are_found(copy_of_the_tree):
    tree = copy_of_the_tree
    (tree / "protscope" / "data" / "upwards.py").write_text("from protscope.train.trainer import Trainer\n")
    (tree / "protscope" / "modeling" / "ui.py").write_text("def f():\n    import streamlit\n")
    (tree / "dashboard" / "logic" / "widget.py").write_text("import streamlit as st\n")
    found = layer_violations(graph(tree), tree)
    assert len(found) == 3, found
    assert "protscope/data/upwards.py:1: protscope.data may not import protscope.train.trainer" in found[0] + found[1] \
        + found[2]
    assert any("the engine imports streamlit" in f for f in found)
    assert any("dashboard.logic is pure logic" in f for f in found)


def test_a_planted_sys_path_edit_is_found(tmp_path):
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "x.py").write_text("import sys\nsys.path.insert(0, '.')\n")
    assert sys_path_edits(tmp_path) == ["bench/x.py:2"]


def test_the_notebook_api_trains_a_run_from_the_top_level_names():
    code = ("import sys, protscope as ps\n"
            "assert 'torch' not in sys.modules, 'import protscope loaded torch'\n"
            "config = ps.RunConfig().with_values(dataset='esol', model='mlp', encoding='aac', epochs=1,\n"
            "                                    max_batches=2)\n"
            "data = ps.load_data(config.data)\n"
            "result = ps.Trainer(config, data, ps.make_split(data, config.data)).run()\n"
            "assert result.status == ps.Status.COMPLETED, result.message\n"
            "assert set(ps.__all__) <= set(dir(ps)) and 'accuracy' in result.metrics['test']\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
