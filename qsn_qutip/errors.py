"""The one error type of qsn_qutip.

Bad input raises :class:`QSNError` (a :class:`ValueError`), whose message names the argument
and what was expected; the CLI turns it into one line on stderr and exit code 2.

>>> from qsn_qutip.errors import QSNError
>>> issubclass(QSNError, ValueError)
True
"""

from __future__ import annotations

__all__ = ["QSNError"]


class QSNError(ValueError):
    """Bad input to qsn_qutip: the message names the argument and what was expected."""
