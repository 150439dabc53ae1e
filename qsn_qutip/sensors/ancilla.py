r"""A local ancilla: a copy of a sensor's space that carries no parameter (Theorem 2).

Resources on the ancilla are counted like those on its sensor (Eq. 25 of the paper,
:math:`\hat R' = \sum_k(\hat R_k + \hat R'_k)`), the conservative choice under which the
ancilla construction needs at most twice the resources.
"""

from __future__ import annotations

import qutip

from ..errors import QSNError
from .base import Sensor

__all__ = ["Ancilla"]


class Ancilla(Sensor):
    """The local ancilla of ``sensor``: same space and resource operator, no generator.

    Examples
    --------
    >>> from qsn_qutip import QubitEnsemble
    >>> Ancilla(QubitEnsemble(3)).n_params
    0
    """

    kind = "ancilla"

    def __init__(self, sensor: Sensor, *, name: str | None = None):
        if not isinstance(sensor, Sensor):
            raise QSNError(f"sensor must be the Sensor the ancilla copies, got "
                           f"{type(sensor).__name__}")
        super().__init__(name=name if name is not None else
                         (f"{sensor.name} ancilla" if sensor.name else None))
        self.sensor = sensor

    @property
    def dims(self) -> list[int]:
        return self.sensor.dims

    @property
    def generators(self) -> list[qutip.Qobj]:
        return []

    @property
    def resource_operator(self) -> qutip.Qobj:
        return self.sensor.resource_operator

    @property
    def particles(self) -> int:
        return self.sensor.particles

    @property
    def kappa(self) -> None:
        return None

    @property
    def copies(self) -> Sensor:
        """The sensor whose space this ancilla copies."""
        return self.sensor

    def with_particles(self, n: int) -> "Ancilla":
        return Ancilla(self.sensor.with_particles(n), name=self.name)

    def product_state(self) -> qutip.Qobj:
        return self.sensor.product_state()

    def _repr_args(self) -> str:
        return repr(self.sensor)
