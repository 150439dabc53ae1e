# Two commands on a bare machine (Python 3.11 + pip + the package registries):
#   make run    the main job: the bundled gradient magnetometer, its table and picture
#   make test   the test suite and the docstring examples (slow tests included)
#   make quick  the same without the tests marked slow (the labs, real processes, big grids)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test quick bench clean

# (re)build the virtual environment when it is missing or setup.cfg / pyproject.toml change
$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench,sdp,dask,sweep,docs]'
	touch $(STAMP)

run: $(STAMP)
	mkdir -p out
	$(VENV)/bin/qsn run models/gradient_magnetometer.toml --plot out/gradient_magnetometer.png

test: $(STAMP)
	$(PY) -m pytest -q --doctest-modules tests qsn_qutip

quick: $(STAMP)
	$(PY) -m pytest -q --doctest-modules -m "not slow" tests qsn_qutip

bench: $(STAMP)
	$(PY) benchmarks/run.py --out benchmarks/last-run.json

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache out
