"""The independent reference of tests/optimize/reference.py, as a fixture (pytest runs with
``--import-mode=importlib``, so test modules cannot import it by name)."""

import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def full_space():
    """tests/optimize/reference.py: full-2^N-space optimisers and the CE bound by SDP, written
    without qsn_qutip."""
    spec = importlib.util.spec_from_file_location(
        "optimize_reference", Path(__file__).with_name("reference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
