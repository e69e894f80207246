"""The benchmark scripts still run (tiny sizes, no timing assertions: machines are noisy)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import bench_encoding  # noqa: E402


def test_encoding_benchmark_runs_in_quick_mode():
    result = bench_encoding.run(quick=True, log=lambda *a: None)
    assert len(result["rows"]) >= 8
    assert all(row.ours and row.what for row in result["rows"])
    assert any("build_dataset" in row.what for row in result["rows"])


def test_a_bench_section_is_replaced_in_place_and_other_sections_kept(tmp_path):
    from bench.report import markers, update_readme

    readme = tmp_path / "README.md"
    update_readme(readme, "a", "first A")
    update_readme(readme, "b", "only B")
    update_readme(readme, "a", "second A")
    text = readme.read_text()
    assert text.startswith("# ProtScope benchmarks") and "first A" not in text
    assert text.count(markers("a")[0]) == 1 and text.index("second A") < text.index("only B")
