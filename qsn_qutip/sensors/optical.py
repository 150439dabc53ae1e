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
from ..options import check_memory, tolerances
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
        check_memory(16 * (self.cutoff + 1), f"OpticalMode(cutoff={self.cutoff}): a ket of "
                                             f"its {self.cutoff + 1} Fock levels")
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
    def field_axes(self) -> None:
        """None: a mode's phase is not a Larmor precession in a magnetic field."""
        return None

    @property
    def label(self) -> str:
        """``"optical mode N=3"``, ``"Kerr mode N=3"`` or ``"reference mode N=3"`` (N: photons)."""
        prefix = {"linear": "optical mode", "kerr": "Kerr mode", None: "reference mode"}
        return f"{prefix[self.generator]} N={self.photons}"

    @property
    def noise_channels(self) -> frozenset[str]:
        """Phase diffusion of the generator (the base class's) and photon loss
        (``"transmission"``), which acts on a reference mode too."""
        return super().noise_channels | {"transmission"}

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

    #: the Fock space is truncated at ``cutoff`` photons
    truncated = True

    def truncation_weight(self, reduced_state: qutip.Qobj) -> float:
        r"""The probability of the top two Fock levels when they are the tail of a photon-number
        distribution the cutoff cuts off; 0 when the state ends in a Fock component of its own.

        With :math:`p_m = \langle m|\rho|m\rangle/\mathrm{Tr}\rho` and c the cutoff, the
        weight is :math:`p_{c-1} + p_c` (two levels: squeezed and cat states fill every
        other level) when at least two of the levels :math:`c-2, c-1, c` (the vacuum not
        counted) carry more than ``tolerances.truncation``: a coherent, thermal or squeezed
        state cut by the cutoff.  A single occupied level among them is a Fock component put
        there on purpose (:math:`|n\rangle`, NOON and GHZ-like states with n = cutoff), which
        the truncated space holds exactly: weight 0.

        Examples
        --------
        >>> import numpy as np, qutip
        >>> mode = OpticalMode(12, "kerr")
        >>> round(mode.truncation_weight(qutip.coherent_dm(13, np.sqrt(6))), 4)
        0.0383
        >>> mode.truncation_weight(qutip.fock_dm(13, 12))
        0.0
        """
        p = np.clip(np.real(np.asarray(reduced_state.diag(), dtype=complex)), 0.0, None)
        total = p.sum()
        if not total > 0:
            return 0.0
        p = p / total
        top = p[max(1, self.cutoff - 2):]
        if np.count_nonzero(top > tolerances.truncation) < 2:
            return 0.0
        return float(p[max(0, self.cutoff - 1):].sum())

    #: photon counting reads the Fock states; beam splitters mix modes
    bosonic_mode = True

    def _repr_args(self) -> str:
        gen = "" if self.generator == "linear" else f", generator={self.generator!r}"
        photons = "" if self.photons == self.cutoff else f", photons={self.photons}"
        return f"{self.cutoff}{gen}{photons}"
