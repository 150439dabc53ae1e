"""Sensor models: one module per physical model, all on the small base class :class:`Sensor`."""

from .ancilla import Ancilla
from .atoms import MultiLevelAtom
from .base import Sensor
from .optical import OpticalMode
from .qubits import QubitEnsemble

__all__ = ["Sensor", "QubitEnsemble", "OpticalMode", "MultiLevelAtom", "Ancilla", "KINDS"]

#: the sensor kinds a model file can name (``kind = "qubits"``), each with its class
KINDS = {cls.kind: cls for cls in (QubitEnsemble, OpticalMode, MultiLevelAtom)}
