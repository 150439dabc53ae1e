"""QuanEstimation, the peer the tests and benchmarks check against, imported without Julia.

QuanEstimation loads Julia when it is imported (``juliacall.newmodule(...).seval(...)``), which
its pure-Python ``QFIM`` and ``HCRB`` never use.  A stand-in ``juliacall`` that answers every
attribute, call and index with itself lets the import succeed on a machine without Julia.
Not part of the API: a helper for cross-checks only.
"""

from __future__ import annotations

import sys
import types

__all__ = ["import_quanestimation"]


class _Anything:
    """Answers every attribute, call and index with itself."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __getitem__(self, key):
        return self


def import_quanestimation() -> types.ModuleType | None:
    """The ``quanestimation`` module, imported with a stand-in ``juliacall`` (restored after
    the import), or None when it is not installed or fails to import.

    Examples
    --------
    >>> module = import_quanestimation()
    >>> module is None or hasattr(module, "QFIM")
    True
    """
    stub = types.ModuleType("juliacall")
    stub.Main = stub.convert = stub.newmodule = _Anything()
    saved = sys.modules.get("juliacall")
    sys.modules["juliacall"] = stub
    try:
        import quanestimation
    except Exception:
        return None
    finally:
        if saved is None:
            sys.modules.pop("juliacall", None)
        else:
            sys.modules["juliacall"] = saved
    return quanestimation
