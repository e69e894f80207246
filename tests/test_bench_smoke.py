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
