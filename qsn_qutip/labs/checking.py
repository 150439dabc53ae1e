r"""Checking a student's answer: say what is wrong and why, not just that it is wrong.

Every exercise of the teaching labs (``docs/labs``) is registered here under a name such as
``"lab1.ghz_bound"`` with a *checker*: a function that receives the student's answer and
returns :func:`right` or :func:`wrong` with a sentence.  A checker compares the answer with the
value the library computes and, when it is wrong, recognises the usual slips (``sigma_z``
instead of :math:`\sigma_z/2`, a forgotten :math:`1/\mu`, a ratio upside down) and names them.

:func:`check` is what a lab cell calls.  Its result, a :class:`CheckResult`, is shown by Jupyter
as one coloured line; it is never an exception, so a student's notebook runs top to bottom:

* ``correct`` — the answer is right (the message adds what it means);
* ``wrong`` — the message says what is wrong and suggests the slip;
* ``unanswered`` — the blank ``...`` of the exercise cell is still there.

>>> from qsn_qutip.labs import check
>>> check("lab1.ghz_bound", ...).status
'unanswered'
>>> print(check("lab1.ghz_bound", 0.01))          # doctest: +ELLIPSIS
✗ lab1.ghz_bound: your bound is 0.01 = 1/F, one repeat's: ... divide by mu = 100 (qcrb(F, repeats=100)).
>>> bool(check("lab1.ghz_bound", 1e-4))
True

:func:`confirm` is the check after a computed table in the main text: a displayed line when the
numbers agree with the closed form, an :class:`AssertionError` saying by how much when not.
"""

from __future__ import annotations

import dataclasses
import difflib
import html
import math
from collections.abc import Callable, Iterable

import numpy as np

from ..errors import QSNError

__all__ = ["CheckResult", "Exercise", "EXERCISES", "check", "confirm", "exercise", "right",
           "wrong", "is_blank", "number", "numbers", "close", "CORRECT", "WRONG", "UNANSWERED",
           "MIME_TYPE"]

CORRECT, WRONG, UNANSWERED = "correct", "wrong", "unanswered"
_MARK = {CORRECT: "✓", WRONG: "✗", UNANSWERED: "…"}
_COLOUR = {CORRECT: "#1a7f37", WRONG: "#cf222e", UNANSWERED: "#9a6700"}

#: a machine-readable copy of every check's outcome in a notebook's outputs (tests read it)
MIME_TYPE = "application/vnd.qsn-lab-check+json"


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of :func:`check` or :func:`confirm`, displayed as one line.

    Attributes
    ----------
    exercise : str
        The exercise's name (``"lab1.ghz_bound"``) or, for :func:`confirm`, what was checked.
    status : {"correct", "wrong", "unanswered"}
    message : str
        What the answer means when right; what is wrong, and the likely slip, when wrong.
    kind : {"exercise", "confirm"}
        An exercise's check, or the check of a computed table (:func:`confirm`).
    """

    exercise: str
    status: str
    message: str
    kind: str = "exercise"

    def __bool__(self) -> bool:
        return self.status == CORRECT

    def __str__(self) -> str:
        return f"{_MARK[self.status]} {self.exercise}: {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return (f'<div style="color:{_COLOUR[self.status]}"><b>{_MARK[self.status]} '
                f'{html.escape(self.exercise)}</b>: {html.escape(self.message)}</div>')

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/plain": str(self), "text/html": self._repr_html_(),
                MIME_TYPE: {"exercise": self.exercise, "status": self.status,
                            "kind": self.kind}}


@dataclasses.dataclass(frozen=True)
class Exercise:
    """A registered exercise: its lab, the question in one line and its checker."""

    name: str
    lab: str
    question: str
    checker: Callable[[object], tuple[bool, str]]


#: every exercise of the labs, by name (filled when :mod:`qsn_qutip.labs` is imported, by
#: :mod:`~qsn_qutip.labs.answers` and :mod:`~qsn_qutip.labs.networks`)
EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, question: str):
    """Register the decorated checker under ``name`` (``"labN.what"``)."""
    def register(checker: Callable[[object], tuple[bool, str]]):
        if name in EXERCISES:
            raise QSNError(f"exercise {name!r} is registered twice")
        EXERCISES[name] = Exercise(name, name.split(".")[0], question, checker)
        return checker
    return register


def right(message: str) -> tuple[bool, str]:
    """What a checker returns for a correct answer (the message says what it means)."""
    return True, message


def wrong(message: str) -> tuple[bool, str]:
    """What a checker returns for a wrong answer (the message says what is wrong)."""
    return False, message


def is_blank(answer) -> bool:
    """True when ``answer`` still holds the blank ``...`` of an exercise cell (also inside a
    tuple, list or dict)."""
    if answer is Ellipsis:
        return True
    if isinstance(answer, dict):
        return any(is_blank(a) for a in answer.values())
    if isinstance(answer, (tuple, list)):
        return any(is_blank(a) for a in answer)
    return False


def number(answer, what: str = "answer") -> float:
    """A real number from an answer: a float, an int, a 0-d or one-element array (a 1 x 1
    QFIM), a complex number with no imaginary part.  Raises :class:`QSNError` otherwise."""
    value = np.asarray(getattr(answer, "full", lambda: answer)())
    if value.size != 1:
        raise QSNError(f"your {what} should be one number, got an array of shape {value.shape}")
    value = value.ravel()[0]
    try:
        value = complex(value)
    except (TypeError, ValueError):
        raise QSNError(f"your {what} should be a number, got {answer!r}") from None
    if abs(value.imag) > 1e-9 * max(1.0, abs(value.real)):
        raise QSNError(f"your {what} is complex, {value:.6g}: a Fisher information, a bound or "
                       f"a ratio is real (take .real of an expectation value)")
    return float(value.real)


def numbers(answer, length: int, what: str = "answer") -> list[float]:
    """``length`` real numbers from a sequence (list, tuple, array)."""
    if isinstance(answer, (str, bytes, dict)) or not isinstance(answer, Iterable):
        raise QSNError(f"your {what} should be {length} numbers, got {answer!r}")
    values = [number(a, f"{what}, entry {i}") for i, a in enumerate(answer, start=1)]
    if len(values) != length:
        raise QSNError(f"your {what} should be {length} numbers, got {len(values)}")
    return values


def close(value: float, expected: float, rtol: float = 1e-6, atol: float = 0.0) -> bool:
    """``value`` agrees with ``expected`` to ``rtol`` (relative) or ``atol`` (absolute)."""
    return bool(np.isfinite(value)) and math.isclose(value, expected, rel_tol=rtol, abs_tol=atol)


def check(name: str, answer) -> CheckResult:
    """Check a student's answer to the exercise ``name``.

    Parameters
    ----------
    name : str
        The exercise, e.g. ``"lab1.ghz_bound"`` (the lab's check cell names it).
    answer : object
        What the exercise asks for (a number, a tuple, a dict, a model file's text ...); the
        blank ``...`` means not answered yet.

    Returns
    -------
    CheckResult
        ``correct``, ``wrong`` (with what is wrong) or ``unanswered``; never raises for a
        wrong answer, so the notebook goes on.

    Raises
    ------
    QSNError
        ``name`` is not an exercise (with the closest names).

    Examples
    --------
    >>> check("lab1.ghz_bound", 1e-4).status
    'correct'
    """
    if name not in EXERCISES:
        close_names = difflib.get_close_matches(str(name), EXERCISES, n=3)
        hint = f"; did you mean {' or '.join(map(repr, close_names))}?" if close_names else ""
        raise QSNError(f"name: no exercise {name!r}{hint}")
    task = EXERCISES[name]
    if is_blank(answer):
        return CheckResult(name, UNANSWERED,
                           f"not answered yet ({task.question}): replace the ... in the "
                           f"exercise cell and run it again")
    try:
        ok, message = task.checker(answer)
    except QSNError as err:               # the answer could not be read
        return CheckResult(name, WRONG, str(err))
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as err:
        shown = repr(answer)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        return CheckResult(name, WRONG, f"could not check your answer {shown}: "
                                        f"{type(err).__name__}: {err} (the exercise asks for "
                                        f"{task.question})")
    return CheckResult(name, CORRECT if ok else WRONG, message)


def confirm(what: str, computed, expected, rtol: float = 1e-9, atol: float = 1e-12
            ) -> CheckResult:
    """The check after a computed table: ``computed`` agrees with ``expected`` (arrays of the
    same shape, elementwise to ``rtol``/``atol``).

    Returns a displayed ``correct`` line with the largest difference; raises
    :class:`AssertionError` naming ``what``, the worst entry and the difference otherwise
    (a lab's own table must never disagree with its closed form).

    Examples
    --------
    >>> print(confirm("F = N", [1.0, 2.0], [1, 2]))
    ✓ F = N: agrees for all 2 entries (largest difference 0)
    """
    got = np.asarray(computed, dtype=float)
    want = np.broadcast_to(np.asarray(expected, dtype=float), got.shape)
    diff = np.abs(got - want)
    ok = np.isclose(got, want, rtol=rtol, atol=atol) | ((got == want) & np.isinf(got))
    finite = diff[np.isfinite(diff)]
    largest = float(finite.max()) if finite.size else 0.0
    if not np.all(ok):
        worst = np.unravel_index(int(np.argmax(np.where(ok, -1, diff))), got.shape)
        raise AssertionError(f"{what}: entry {tuple(int(i) for i in worst)} is "
                             f"{got[worst]:.12g}, expected {want[worst]:.12g} "
                             f"(difference {diff[worst]:.3g}, rtol {rtol:g})")
    return CheckResult(what, CORRECT, f"agrees for all {got.size} entr"
                       f"{'y' if got.size == 1 else 'ies'} (largest difference {largest:.3g})",
                       kind="confirm")
