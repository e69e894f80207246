"""The benchmark scripts still run (tiny sizes, no timing assertions: machines are noisy)."""


from bench import bench_encoding


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


def test_scale_benchmark_fits_the_growth_and_reports_every_step(monkeypatch):
    from bench import bench_scale

    # The children are fresh interpreters (for a clean peak RSS); in-process here, at smoke sizes.
    monkeypatch.setattr(bench_scale, "child", bench_scale.measure)
    monkeypatch.setitem(bench_scale.SIZES, "quick", (150, 300))
    monkeypatch.setitem(bench_scale.MMSEQS_SIZES, "quick", (150,))
    result = bench_scale.run(quick=True, log=lambda *a: None)
    rows = result["rows"]
    steps = [r for r in rows if r.what.endswith("train)")]
    assert len(steps) == 2 and all(r.ours.count(" / ") == 3 for r in steps)
    growth = [r for r in rows if r.what.startswith("growth of")]
    assert len(growth) == 3 and all(r.passed is not None for r in growth)
    assert any("peak RSS" in r.what and r.passed is not None for r in rows)
    assert any("MMseqs2" in r.what for r in rows)


def test_the_fitted_exponent_is_the_slope_in_log_log():
    from bench import bench_scale

    assert abs(bench_scale.exponent([1e4, 3e4, 1e5], [2.0, 6.0, 20.0]) - 1.0) < 1e-9
    assert abs(bench_scale.exponent([1e4, 1e5], [1.0, 100.0]) - 2.0) < 1e-9


def test_gpu_benchmark_skips_cleanly_without_cuda(monkeypatch):
    from bench import bench_gpu

    monkeypatch.setattr(bench_gpu.torch.cuda, "is_available", lambda: False)
    result = bench_gpu.run(quick=True, log=lambda *a: None)
    assert len(result["rows"]) == 1 and result["rows"][0].what.startswith("skipped")
    assert "GPU" in bench_gpu.markdown(result)


def test_gpu_benchmark_code_runs_end_to_end_on_the_cpu():
    """The measurements a CUDA machine makes, run here on the CPU at smoke sizes (CI has no GPU)."""
    from bench import bench_gpu

    rows, _, info = bench_gpu.measured(quick=True, log=lambda *a: None, device="cpu")
    assert info == {"device": "cpu"}
    assert sum("engine vs bare loop" in r.what for r in rows) == 2
    assert any("bf16" in r.what for r in rows) and any("utilisation" in r.what for r in rows)


def test_dashboard_benchmark_times_the_compare_page_over_many_runs():
    from bench import bench_dashboard

    times = bench_dashboard.compare_rerun_times(runs=8, epochs=20, reruns=2)
    assert list(times) == ["seed bands (4 groups of 2)", "8 separate curves"]
    assert all(len(t) == 2 and min(t) > 0 for t in times.values())


def test_make_bench_writes_one_summary_of_every_target_first(tmp_path):
    from bench import run_all
    from bench.report import Row, update_readme

    reports = {"engine": {"rows": [Row("a | b", "1.0x", target="≥ 0.95x", passed=True), Row("info only", "3 ms")],
                          "info": {"cpu": "AMD", "cores": "2", "torch": "2.13.0", "date": "today"}},
               "scale": {"rows": [Row("growth", "b = 1.3", target="b ≤ 1.15", passed=False)], "info": {}}}
    text = run_all.summary(reports, 600)
    assert "a \\| b" in text and "info only" not in text and "1 target(s) missed" in text and "10.0 min" in text
    readme = tmp_path / "README.md"
    update_readme(readme, "engine", "engine section")
    update_readme(readme, "summary", text, first=True)
    body = readme.read_text()
    assert body.index("Summary: every target") < body.index("engine section")


def test_make_bench_runs_the_soak_beside_the_scale_bench_on_separate_cores_and_the_rest_alone():
    from bench import run_all

    found = [run_all.BENCH / n for n in ("bench_dashboard.py", "bench_engine.py", "bench_scale.py", "bench_soak.py")]
    steps = run_all.plan(found, [0, 1], one_at_a_time=False)
    assert [[(p.name, cpus) for p, cpus in step] for step in steps] == [
        [("bench_dashboard.py", None)], [("bench_engine.py", None)],
        [("bench_soak.py", [1]), ("bench_scale.py", [0])]]
    for cpus, alone in (([0], False), ([0, 1], True)):
        steps = run_all.plan(found, cpus, one_at_a_time=alone)
        assert all(len(step) == 1 and step[0][1] is None for step in steps) and len(steps) == 4


def test_a_bench_script_hands_its_report_to_make_bench_as_json(tmp_path):
    import json

    from bench.report import Row, bench_main

    def run(quick):
        return {"rows": [Row("x", "2 ms", target="≤ 3 ms", passed=True)], "info": {"cores": "2"}, "notes": ["n"]}

    out = tmp_path / "r.json"
    assert bench_main("doc", run, lambda r: "", lambda rows: "", "demo", tmp_path / "README.md",
                      ["--quick", "--report-json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["name"] == "demo" and Row(**report["rows"][0]).result == "PASS"
    assert not (tmp_path / "README.md").exists()  # quick runs leave the README alone


def test_soak_growth_compares_the_medians_of_the_first_and_last_windows_after_the_warmup():
    from bench import soak

    # (seconds, MB): a plateau with a brief trim in the first window and a level 150 MB higher at the end
    samples = [(t, 500.0) for t in range(0, 60, 2)]  # warm-up, ignored
    samples += [(t, 600.0 if 100 <= t < 104 else 1600.0 + (150.0 if t >= 400 else 0.0)) for t in range(60, 600, 2)]
    r = soak.summary(samples, warmup=60)
    assert r["growth"] == 150 and r["first_median"] == 1600 and r["last_median"] == 1750
    assert r["trough_growth"] == 1150 and r["first_trough"] == 600  # one trim: why troughs are not compared
    assert r["peak_growth"] == 150 and r["peak"] == 1750 and r["samples"] == len(samples)
    assert r["minute_medians"][0] == 500 and r["minute_medians"][-1] == 1750 and len(r["minute_medians"]) == 10


def test_soak_bench_reports_growth_against_its_target(monkeypatch):
    from bench import bench_soak

    fake = {"minutes": 10.0, "first_trough": 900.0, "last_trough": 1060.0, "first_peak": 1700.0, "last_peak": 1750.0,
            "first_median": 1500.0, "last_median": 1660.0, "growth": 160.0, "progress": "running · epoch 30/1000",
            "minute_medians": [900.0, 1500.0, 1660.0]}
    monkeypatch.setattr(bench_soak.soak, "soak", lambda minutes, warmup: fake)  # the 10-minute browser run
    (row,) = bench_soak.run(quick=False, log=lambda *a: None)["rows"]
    assert row.ours == "+160 MB" and row.passed is False and "median 1500 -> 1660 MB" in row.what


def test_the_lessons_benchmark_times_lessons_and_keeps_their_paragraphs():
    from bench import bench_lessons

    result = bench_lessons.run(quick=True, log=lambda *a: None)
    assert [r.what.split("`")[1] for r in result["rows"]] == list(bench_lessons.QUICK["lessons"])
    assert all(r.ours.endswith(" s") for r in result["rows"]) and len(result["notes"]) == 2


def test_the_splits_benchmark_reads_the_leak_both_ways(monkeypatch):
    from bench import bench_splits

    monkeypatch.setitem(bench_splits.SIZES["quick"], "extra", {"epochs": 1, "max_batches": 3})
    # one model: the second adds nothing to what is checked but its own homology clustering (the suite's time)
    monkeypatch.setattr(bench_splits, "MODELS", dict(list(bench_splits.MODELS.items())[:1]))
    result = bench_splits.run(quick=True, log=lambda *a: None)
    whats = [r.what for r in result["rows"]]
    assert sum("random split against homology split" in w for w in whats) == 3 * len(bench_splits.MODELS)
    assert sum("with a relative in training" in w for w in whats) == len(bench_splits.MODELS)
    assert any("clusters" in n for n in result["notes"])


def test_the_time_to_target_benchmark_races_the_notes_and_the_preset_before_in_quick_mode(monkeypatch):
    from bench import bench_target

    monkeypatch.setenv("BENCH_TARGET_ONLY", "solubility-cnn")
    result = bench_target.run(quick=True, log=lambda *a: None)
    against = [r.what.split(" vs ")[1] for r in result["rows"]]
    assert against == ["the notes' recipe", "ProtScope before (fp32)"]
    assert [r.target for r in result["rows"]] == ["≥ 5x", "≥ 2x"] and "median of seeds 0" in result["notes"][1]


def test_time_to_target_ratios_say_when_they_are_only_a_lower_bound():
    from bench.bench_target import Reached, speedup

    ours = Reached(10.0, 4, 0.5, 4, 10.0)
    assert speedup(ours, Reached(50.0, 6, 0.5, 6, 50.0)) == (5.0, "5.00x")
    assert speedup(ours, Reached(None, None, 0.2, 10, 900.0)) == (90.0, "> 90.00x")  # never reached in 900 s
    assert speedup(Reached(None, None, 0.2, 10, 30.0), ours) == (None, "—")


def test_the_class_benchmark_loses_no_run_and_keeps_the_queue_fair_in_quick_mode(monkeypatch, tmp_path):
    from bench import bench_class

    monkeypatch.setenv("PROTSCOPE_RUNS", str(tmp_path))  # bench_class sets its own; this restores it afterwards
    for name in ("PROTSCOPE_MAX_RUNS", "PROTSCOPE_MAX_RUNS_PER_STUDENT", "PROTSCOPE_INSTRUCTOR_PASSWORD"):
        monkeypatch.setenv(name, "")
    from dashboard.state import broadcast, job_manager, run_store

    for cached in (job_manager, run_store, broadcast):
        cached.clear()
    result = bench_class.run(quick=True, log=lambda *a: None)
    for cached in (job_manager, run_store, broadcast):
        cached.clear()
    failed = [r.what for r in result["rows"] if r.passed is False]
    assert not failed and len(result["rows"]) == 11
