"""The engine benchmark still runs (tiny sizes, no timing assertions: machines are noisy)."""


from bench import bench_engine


def test_engine_benchmark_runs_in_quick_mode():
    result = bench_engine.run(quick=True, log=lambda *a: None)
    rows = result["rows"]
    assert len(rows) >= 10
    assert all(row.what and row.ours for row in rows)
    assert any("bare loop" in row.what for row in rows)
    assert any("course notes" in row.what for row in rows)
    assert result["notes"] and result["info"]["mode"].startswith("quick")
