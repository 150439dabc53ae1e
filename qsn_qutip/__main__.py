"""``python -m qsn_qutip`` is the ``qsn`` command."""

from .cli import main

raise SystemExit(main())
