r"""A single optical mode in a truncated Fock space: linear phase :math:`\hat n` or Kerr :math:`\hat n^2`.

The mode holds ``cutoff + 1`` Fock states.  Its particle number for the extremal states is
``photons`` (default: the cutoff): :math:`|\lambda_{\min,n}\rangle = |0\rangle`,
:math:`|\lambda_{\max,n}\rangle = |n\rangle`.  For the linear phase
:math:`\lambda_{\max,n}-\lambda_{\min,n} = n` (:math:`\kappa = 1`); for the Kerr phase it is
:math:`n^2`, which is not linear in n (``kappa`` is None).  ``generator=None`` makes a phase
reference: a mode that carries no parameter (as in the generalised NOON states of
Humphreys et al.).  The resource is the photon number :math:`\hat n`.
"""

from __future__ import annotations

import numpy as np
import qutip

from ..errors import QSNError
from .._checks import as_positive_int
from ..options import tolerances
from .base import Sensor

__all__ = ["OpticalMode"]

GENERATORS = ("linear", "kerr", None)


class OpticalMode(Sensor):
    r"""One optical mode with phase generator :math:`\hat n` (``"linear"``) or :math:`\hat n^2` (``"kerr"``).

    Parameters
    ----------
    cutoff : int
        Largest photon number kept (the space is ``cutoff + 1`` dimensional).
    generator : {"linear", "kerr", None}
        The phase generator; ``None`` for a reference mode without a parameter.
    photons : int, optional
        Particle number n of the extremal states and of the coherent product probe
        (default: ``cutoff``).
    name : str, optional

    Examples
    --------
    >>> OpticalMode(4).generators[0].diag()
    array([0., 1., 2., 3., 4.])
    """

    kind = "mode"
    model_keys = {"cutoff": int, "generator": str, "photons": int}
    model_required = ("cutoff",)

    def __init__(self, cutoff: int, generator: str | None = "linear", *,
                 photons: int | None = None, name: str | None = None):
        super().__init__(name=name)
        self.cutoff = as_positive_int(cutoff, "cutoff")
        if generator not in GENERATORS:
            raise QSNError(f"generator must be one of {GENERATORS}, got {generator!r}")
        self.generator = generator
        self.photons = self.cutoff if photons is None else as_positive_int(photons, "photons")
        if self.photons > self.cutoff:
            raise QSNError(f"photons = {self.photons} needs cutoff >= {self.photons}, "
                           f"got cutoff = {self.cutoff}")

    @classmethod
    def from_model(cls, *, name: str | None = None, generator: str = "linear",
                   **keys) -> "OpticalMode":
        """A mode from a model file, where a reference mode says ``generator = "none"``."""
        if generator not in ("linear", "kerr", "none"):
            raise QSNError(f'generator must be "linear", "kerr" or "none", got {generator!r}')
        return cls(**keys, generator=None if generator == "none" else generator, name=name)

    @property
    def dims(self) -> list[int]:
        return [self.cutoff + 1]

    @property
    def generators(self) -> list[qutip.Qobj]:
        n_op = qutip.num(self.cutoff + 1)
        return {"linear": [n_op], "kerr": [n_op * n_op], None: []}[self.generator]

    @property
    def resource_operator(self) -> qutip.Qobj:
        return qutip.num(self.cutoff + 1)

    @property
    def particles(self) -> int:
        return self.photons

    @property
    def kappa(self) -> float | None:
        return 1.0 if self.generator == "linear" else None

    @property
    def label(self) -> str:
        """``"optical mode N=3"``, ``"Kerr mode N=3"`` or ``"reference mode N=3"`` (N: photons)."""
        prefix = {"linear": "optical mode", "kerr": "Kerr mode", None: "reference mode"}
        return f"{prefix[self.generator]} N={self.photons}"

    def with_particles(self, n: int) -> "OpticalMode":
        n = as_positive_int(n, "n")
        return OpticalMode(max(self.cutoff, n), self.generator, photons=n, name=self.name)

    def extremal_states(self) -> tuple[qutip.Qobj, qutip.Qobj]:
        r""":math:`(|0\rangle, |n\rangle)` with n = ``photons``."""
        self._single_generator()
        return qutip.basis(self.cutoff + 1, 0), qutip.basis(self.cutoff + 1, self.photons)

    def product_state(self) -> qutip.Qobj:
        r"""The coherent state with mean photon number ``photons`` (QFI :math:`4\bar n` for the linear phase).

        Raises :class:`QSNError` when the cutoff would drop more than ``tolerances.truncation``
        of its probability.
        """
        alpha = np.sqrt(self.photons)
        state = qutip.coherent(self.cutoff + 1, alpha, method="analytic")
        lost = 1.0 - state.norm() ** 2
        if lost > tolerances.truncation:
            raise QSNError(f"cutoff = {self.cutoff} truncates a coherent state with "
                           f"{self.photons} mean photons (probability {lost:.2e} lost); "
                           f"raise the cutoff")
        return state.unit()

    def _repr_args(self) -> str:
        gen = "" if self.generator == "linear" else f", generator={self.generator!r}"
        photons = "" if self.photons == self.cutoff else f", photons={self.photons}"
        return f"{self.cutoff}{gen}{photons}"
