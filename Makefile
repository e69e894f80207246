# ProtScope: `make run` starts the dashboard, `make test` runs the whole suite.
# Both (re)create .venv when it is missing or older than the requirements files.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench results soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The pinned requirements, then ProtScope itself in editable mode (`import protscope` and `import dashboard`
# from anywhere, and the `protscope` command; edits to the source take effect without reinstalling).
$(VENV)/.installed-run: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt requirements-ray.txt $(VENV)/.installed-run
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -r requirements-ray.txt
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/python -m streamlit run dashboard/app.py --server.port 8501 --server.address localhost

# One pytest worker per core, a test file per worker at a time, dealt out longest first (tests/conftest.py,
# which also gives each worker its share of the cores); about 8 minutes on 2 cores.
# `.venv/bin/python -m pytest tests/x.py` runs one file alone.
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder --durations=15

# Every bench/bench_*.py, each in its own process (the 10-minute soak beside the scale bench, on
# separate cores; about an hour in all on 2 cores, most of it bench_target's races); numbers and a
# summary of every target go to bench/README.md.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run_all

# docs/RESULTS.md: every preset x 3 seeds beside published numbers (about an hour on 2 cores).
# ARGS="--resume" keeps saved runs; ARGS="--only ss-cnn" retrains one; ARGS="--render" only redraws.
results: $(VENV)/.installed-dev
	$(BIN)/python -m bench.results $(ARGS)

# 15 minutes of a live run with the dashboard open; the server's memory growth goes to docs/RELIABILITY.md.
soak: $(VENV)/.installed-dev
	$(BIN)/python -m bench.soak $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
