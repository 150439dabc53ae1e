r"""How the generators of a mixed-state QFIM share their products (:func:`class_plan`).

In the eigenbasis of :math:`\rho` (rows :math:`E = V^T`), a generator that is diagonal,
:math:`\mathrm{diag}(h)`, has for i != j

.. math::
    \overline{H_{ij}} = \sum_c (h(c) - h(c_0))\,Y_{c,ij},\qquad
    Y_{c,ij} = \sum_{a\in c} E_{ia}\overline{E_{ja}},

over the classes c of basis states on which h is constant (a constant :math:`h(c_0)` changes
only the diagonal).  Generators on a group of factors share the products :math:`Y_c` of their
joint classes, with :math:`c_0` the largest: the basis states are covered once, not once per
generator.  A non-diagonal generator :math:`1\otimes h\otimes 1` with
:math:`h = U\mathrm{diag}(e)U^\dagger` on a small factor is diagonal in the rows rotated there,
:math:`E(1\otimes\overline U\otimes 1)`; :func:`layers_of` sorts the generators into *layers*,
each one rotation of the rows (on disjoint factors) in which all its generators are diagonal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..operators import LocalForm

__all__ = ["Layer", "Plan", "layers_of", "class_plan"]

#: basis states in the smallest class of a group of generators (:func:`_groups`): the inner
#: dimension of its products (measured: 32 beats 16, 64 and 128 from D = 256 to 1024)
_MIN_CLASS_ROWS = 32
#: classes of a group at most (each is one product per tile)
_MAX_CLASSES = 64
#: a non-diagonal generator on a factor of at most D / this levels is diagonalised there
#: (rotating the rows costs O(D^2 size), like applying it); a larger one is applied as it is
_ROTATE_FRACTION = 4
#: eigenvalues of a generator closer than this many round-offs (relative) are one level
_DEGENERATE_ULPS = 16


@dataclasses.dataclass
class Layer:
    """Rows rotated on some factors, and the generators that are diagonal in them.

    Attributes
    ----------
    rotations : list of (LocalForm, numpy.ndarray)
        A factor (of the form) and the eigenvectors of its generator there.
    taken : list of (int, int)
        The QuTiP dims runs of the generators of this layer (disjoint from every rotation).
    units : dict
        ``(lo, hi) -> (form, [(k, diagonal on the factor), ...])``: generators k that are
        diagonal on the run ``lo:hi`` in these rows.
    """

    rotations: list = dataclasses.field(default_factory=list)
    taken: list = dataclasses.field(default_factory=list)
    units: dict = dataclasses.field(default_factory=dict)

    def free(self, span: tuple[int, int], of: list) -> bool:
        return not any(span[0] < hi and lo < span[1] for lo, hi in of)


@dataclasses.dataclass
class Plan:
    """The terms of :func:`class_plan`, per layer, and how generators combine them.

    Attributes
    ----------
    chosen, scale : list of numpy.ndarray
        Per layer: the basis states a of its terms, term after term, and the factor of each.
    bounds : list of numpy.ndarray
        Per layer: term q of it uses ``chosen[bounds[q]:bounds[q + 1]]``.
    coefficients : numpy.ndarray
        :math:`C_{kq}` (generators x terms, layer after layer):
        :math:`\\overline{H_{k,ij}} = \\sum_q C_{kq}Y_{q,ij}`.
    """

    chosen: list
    scale: list
    bounds: list
    coefficients: np.ndarray


def _eigenbasis(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (equal within round-off made equal) and eigenvectors of a Hermitian h."""
    values, vectors = np.linalg.eigh(h)
    scale = max(abs(values[0]), abs(values[-1]), np.finfo(float).tiny)
    step = np.diff(values) > _DEGENERATE_ULPS * h.shape[0] * np.finfo(float).eps * scale
    starts = np.flatnonzero(np.concatenate([[True], step]))
    means = np.add.reduceat(values, starts) / np.diff(np.append(starts, values.size))
    return means[np.cumsum(np.concatenate([[True], step])) - 1], vectors


def layers_of(forms: Sequence[LocalForm], size: int) -> tuple[list[Layer], list[int]]:
    """The layers of the generators, and those applied as they are (too large to rotate).

    Diagonal generators go to the first layer, unrotated; a non-diagonal one on a factor of
    at most D / 4 levels to the first layer whose runs it does not overlap, rotated there.
    """
    layers, others = [Layer()], []
    for k, f in enumerate(forms):
        if f.diagonal is not None:
            layers[0].taken.append((f.lo, f.hi))
            layers[0].units.setdefault((f.lo, f.hi), (f, []))[1].append((k, f.diagonal))
    for k, f in enumerate(forms):
        if f.diagonal is not None:
            continue
        if _ROTATE_FRACTION * f.size > size:
            others.append(k)
            continue
        h = f.matrix if isinstance(f.matrix, np.ndarray) else f.matrix.toarray()
        values, vectors = _eigenbasis(h)
        span = (f.lo, f.hi)
        layer = next((x for x in layers if x.free(span, x.taken)), None)
        if layer is None:
            layer = Layer()
            layers.append(layer)
        layer.rotations.append((f, vectors))
        layer.taken.append(span)
        layer.units[span] = (f, [(k, values)])
    return layers, others


def _level_classes(diag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The levels of a factor grouped by the values of a generator: the class of every level
    and the value on every class."""
    values, inverse = np.unique(diag, return_inverse=True)
    return inverse.ravel(), values


@dataclasses.dataclass
class _Group:
    """Generators that share their products: their joint class of every basis state."""

    members: list
    code: np.ndarray
    counts: np.ndarray

    def joined(self, classes: np.ndarray, levels: int) -> "_Group | None":
        """The group with one more generator (class of every state ``classes``), or None
        when the joint classes get too many or too small (and are not the same as before)."""
        code, counts = np.unique(self.code * levels + classes, return_inverse=True,
                                 return_counts=True)[1:]
        if counts.size != self.counts.size and (
                counts.size > _MAX_CLASSES or counts.min() < _MIN_CLASS_ROWS):
            return None
        return _Group(self.members, code.ravel(), counts)


def _groups(units: list[tuple[int, np.ndarray, np.ndarray]]) -> list[_Group]:
    """Generators merged greedily into groups whose joint classes stay few and large.

    ``units[u] = (k, class of every basis state, values)``: each joins the first group in
    which the joint classes stay at most :data:`_MAX_CLASSES`, the smallest with at least
    :data:`_MIN_CLASS_ROWS` basis states (or which it does not split at all), the
    generators with fewer classes first.
    """
    groups: list[_Group] = []
    for u in sorted(range(len(units)), key=lambda u: (units[u][2].size, u)):
        classes, levels = units[u][1], units[u][2].size
        for j, group in enumerate(groups):
            joined = group.joined(classes, levels)
            if joined is not None:
                joined.members.append(u)
                groups[j] = joined
                break
        else:
            groups.append(_Group([u], classes, np.bincount(classes, minlength=levels)))
    return groups


def _layer_terms(layer: Layer, size: int, add) -> None:
    """The terms of one layer, handed to ``add(states, factors, column)``."""
    units = []
    for f, members in layer.units.values():
        for k, diag in members:
            inverse, values = _level_classes(diag)
            units.append((k, inverse[np.arange(size) // f.post % f.size], values))
    for group in _groups(units):
        order = np.argsort(group.code, kind="stable")
        stops = np.cumsum(group.counts)
        first = order[stops - group.counts]          # one basis state of every joint class
        largest = int(np.argmax(group.counts))
        parts = [order[stop - count:stop] for c, (stop, count) in
                 enumerate(zip(stops, group.counts)) if c != largest]
        if not parts:
            continue
        # h_k(c) - h_k(c_0) for the classes c other than the largest c_0
        weights = {units[u][0]: np.delete(units[u][2][units[u][1][first]]
                                          - units[u][2][units[u][1][first[largest]]], largest)
                   for u in group.members}
        if len(group.members) == 1:
            (k, w), = weights.items()
            add(np.concatenate(parts), np.repeat(w, [x.size for x in parts]), {k: 1.0})
        else:
            for q, part in enumerate(parts):
                add(part, np.ones(part.size), {k: w[q] for k, w in weights.items()})


def class_plan(layers: Sequence[Layer], count: int, size: int) -> Plan:
    r"""How the ``count`` generators share the products of the mixed-state QFIM.

    Per layer, the units (generators diagonal on one run of dims) are grouped
    (:func:`_groups`); a group's joint classes other than the largest are its terms, each one
    product :math:`Y_c` (a group with one generator folds :math:`h_k(c) - h_k(c_0)` into a
    single product: for a qubit's :math:`\sigma_z/2`, half of the states, a quarter of the
    work of :math:`V^\dagger(\hat HV)`).
    """
    chosen, scale, bounds, columns = [], [], [], []
    for layer in layers:
        states, factors, ends = [np.zeros(0, dtype=np.int64)], [np.zeros(0)], [0]

        def add(part, weight, column):
            states.append(part)
            factors.append(weight)
            ends.append(ends[-1] + part.size)
            columns.append(column)

        _layer_terms(layer, size, add)
        chosen.append(np.concatenate(states))
        scale.append(np.concatenate(factors))
        bounds.append(np.array(ends))
    coefficients = np.zeros((count, len(columns)))
    for q, column in enumerate(columns):
        for k, w in column.items():
            coefficients[k, q] = w
    return Plan(chosen, scale, bounds, coefficients)
