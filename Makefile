# Two commands on a bare machine (Python 3.11 + pip + the package registries):
#   make run    the main job: the bundled gradient magnetometer, its table and picture
#               (installs the package and its five dependencies only: no extra)
#   make test   the test suite and the docstring examples, slow tests included
#               (installs the extras the tests use: $(TEST_EXTRAS))
#   make quick  the same without the tests marked slow (the labs, real processes, big grids)
#   make figures  regenerate the gallery in figures/ (git status stays clean)
# pip prints what it collects and installs; nothing is hidden.
PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
RUN_STAMP   := $(VENV)/.installed-run
TEST_STAMP  := $(VENV)/.installed-test
TEST_EXTRAS := test,bench,sdp,dask,sweep,docs

.PHONY: run test quick bench figures clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip

# (re)install when setup.cfg or pyproject.toml change
$(RUN_STAMP): setup.cfg pyproject.toml | $(PY)
	@echo "installing qsn_qutip and its dependencies (qutip, numpy, scipy, matplotlib, threadpoolctl)"
	$(PY) -m pip install -e .
	touch $@

$(TEST_STAMP): setup.cfg pyproject.toml | $(PY)
	@echo "installing qsn_qutip with the extras the tests use: $(TEST_EXTRAS)"
	$(PY) -m pip install -e '.[$(TEST_EXTRAS)]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	mkdir -p out
	$(VENV)/bin/qsn run models/gradient_magnetometer.toml --plot out/gradient_magnetometer.png

test: $(TEST_STAMP)
	$(PY) -m pytest -q --doctest-modules tests qsn_qutip

quick: $(TEST_STAMP)
	$(PY) -m pytest -q --doctest-modules -m "not slow" tests qsn_qutip

bench: $(TEST_STAMP)
	$(PY) benchmarks/run.py --out benchmarks/last-run.json

figures: $(TEST_STAMP)
	$(VENV)/bin/qsn figures --out figures

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache out
