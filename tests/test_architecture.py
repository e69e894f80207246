"""core is a library: it must import without Streamlit, so scripts and notebooks can use it."""
import pkgutil
import subprocess
import sys
from pathlib import Path

import core

ROOT = Path(__file__).resolve().parent.parent


def test_core_never_imports_streamlit():
    modules = [f"core.{m.name}" for m in pkgutil.iter_modules(core.__path__) if m.name != "__main__"]
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "assert 'streamlit' not in sys.modules, 'core imported streamlit'\n"
            "print(len(sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(modules) >= 10


def test_no_core_module_imports_dashboard():
    for path in (ROOT / "core").glob("*.py"):
        text = path.read_text()
        assert "import dashboard" not in text and "from dashboard" not in text, path


def test_ruff_is_clean():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "core", "dashboard", "tests", "bench"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
