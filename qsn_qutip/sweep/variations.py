"""Variations of a model file (``qsn sweep --vary``): the grid from ``KEY=VALUES`` specs, the
varied model, and one sweep point (every probe's bound and the verdict)."""

from __future__ import annotations

import copy
import math

from ..errors import QSNError
from ..options import tolerances

__all__ = ["parse_vary", "varied", "model_point"]


def _value(text: str):
    """A number when ``text`` reads as one (int before float), else the string itself."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_vary(spec: str) -> tuple[str, list]:
    """``"sensor.left.n=2:40:2"`` -> ``("sensor.left.n", [2, 4, ..., 40])``.

    Values: ``start:stop:step`` (stop included), a comma list ``0,0.01,0.02``, or one value.

    Examples
    --------
    >>> parse_vary("sensor.left.n=2:8:2")
    ('sensor.left.n', [2, 4, 6, 8])
    >>> parse_vary("repeats=1,10")
    ('repeats', [1, 10])
    """
    path, sep, values = spec.partition("=")
    path, values = path.strip(), values.strip()
    if not sep or not path or not values:
        raise QSNError(f"--vary {spec!r}: expected KEY=VALUES, e.g. sensor.left.n=2:40:2 or "
                       f"noise.dephasing=0,0.01")
    if values.count(":") == 2 and "," not in values:
        start, stop, step = (_value(v) for v in values.split(":"))
        if not all(isinstance(v, (int, float)) for v in (start, stop, step)) or step <= 0 \
                or stop < start:
            raise QSNError(f"--vary {spec!r}: start:stop:step needs numbers with step > 0 and "
                           f"stop >= start")
        count = int(math.floor((stop - start) / step + tolerances.ratio_rtol)) + 1
        grid = [start + k * step for k in range(count)]
        if isinstance(start, float) or isinstance(step, float):
            grid = [round(v, 12) for v in grid]
        return path, grid
    return path, [_value(v.strip()) for v in values.split(",")]


def varied(raw: dict, assignments: dict, origin: str = "<string>") -> dict:
    """A copy of the model dict ``raw`` with dotted-path ``assignments`` applied.

    A path is ``key``, ``table.key``, or ``sensor.NAME.key`` where NAME is a sensor's ``name``
    or its 1-based position.

    Examples
    --------
    >>> varied({"sensor": [{"name": "left", "n": 2}]}, {"sensor.left.n": 4, "task.weights": [1]})
    {'sensor': [{'name': 'left', 'n': 4}], 'task': {'weights': [1]}}
    """
    out = copy.deepcopy(raw)
    for path, value in assignments.items():
        parts = path.split(".")
        target = out
        if parts[0] == "sensor":
            if len(parts) != 3:
                raise QSNError(f"{origin}: --vary {path}: expected sensor.NAME.key")
            sensors = out.get("sensor", [])
            named = [s for s in sensors if isinstance(s, dict) and s.get("name") == parts[1]]
            if not named and parts[1].isdigit() and 1 <= int(parts[1]) <= len(sensors):
                named = [sensors[int(parts[1]) - 1]]
            if len(named) != 1:
                names = [s.get("name", str(k + 1)) for k, s in enumerate(sensors)]
                raise QSNError(f"{origin}: --vary {path}: no sensor named {parts[1]!r}; "
                               f"sensors are {names} (or 1..{len(sensors)})")
            target, parts = named[0], parts[2:]
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise QSNError(f"{origin}: --vary {path}: {part} is not a table")
        target[parts[-1]] = value
    return out


def model_point(raw: dict, origin: str, **assignments) -> dict:
    """Bounds of every probe of the model ``raw`` varied by ``assignments`` (a sweep point).

    Returns :meth:`~qsn_qutip.report.Comparison.sweep_row`: one column per probe (its bound;
    ``None`` when it does not apply or cannot estimate the task), the verdict (``best``,
    ``ratio``) under the model's resource constraint (``resources``), and ``notes``: why a
    probe is n/a or not ranked.
    """
    from ..modelfile import model_from_dict    # here: the grid helpers above need no physics
    return model_from_dict(varied(raw, assignments, origin), origin).compare().sweep_row()
