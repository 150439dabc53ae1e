"""The front door: ``qsn_qutip``'s public names are imported lazily (PEP 562) yet every one of
them resolves, is listed by ``dir()`` (tab completion) and comes with ``import *``.
(``import qsn_qutip`` itself not importing QuTiP is checked in a fresh process in
tests/test_cli.py.)"""

from __future__ import annotations

import types

import pytest

import qsn_qutip

#: the names exported before the front door became lazy: they must stay
BEFORE = ["QSNError", "tolerances", "Sensor", "QubitEnsemble", "OpticalMode", "MultiLevelAtom",
          "Network", "LocalOperator", "qfim", "qfim_from_derivatives", "qcrb", "function_bound",
          "best_separable_allocation", "separable_bound", "ghz_bound", "states"]
#: everyday entry points exported at the top level too
EVERYDAY = ["compare", "NoiseModel", "apply_noise", "simulate_task", "separable_counterpart",
            "ancilla_counterpart", "cfim", "holevo_bound", "load_model", "Ancilla"]


@pytest.mark.parametrize("name", qsn_qutip.__all__)
def test_every_public_name_resolves(name):
    value = getattr(qsn_qutip, name)
    assert value is not None
    if not isinstance(value, types.ModuleType):
        assert getattr(value, "__name__", name) == name      # the object itself, not a module


def test_public_names_are_kept_and_listed():
    assert set(BEFORE + EVERYDAY) <= set(qsn_qutip.__all__)
    assert len(set(qsn_qutip.__all__)) == len(qsn_qutip.__all__)
    assert set(qsn_qutip.__all__) <= set(dir(qsn_qutip))          # tab completion
    assert "__version__" in dir(qsn_qutip)


def test_star_import_and_from_import():
    namespace: dict = {}
    exec("from qsn_qutip import *", namespace)
    assert set(qsn_qutip.__all__) <= set(namespace)
    from qsn_qutip import compare, states
    from qsn_qutip.report import compare as same
    assert compare is same and states.ghz_like


def test_submodules_are_attributes_and_unknown_names_are_not():
    assert qsn_qutip.estimation.qfim is qsn_qutip.qfim
    assert isinstance(qsn_qutip.fisher, types.ModuleType)
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        qsn_qutip.no_such_name  # noqa: B018
    assert not hasattr(qsn_qutip, "__no_such_dunder__")
