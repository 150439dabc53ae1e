"""Helpers for the teaching labs (``docs/labs``): checking answers, one source for the student
and instructor notebooks, sliders.

* :func:`check` — ``check("lab1.ghz_bound", bound)`` says whether an exercise's answer is
  right and, when it is not, what is wrong ("your bound is 0.01 = 1/F, one repeat's ...");
  "not answered yet" for the blank ``...``.  :data:`EXERCISES` lists them all.
* :func:`confirm` — the check after a computed table: agreement with the closed form.
* :func:`write_labs` — the student version (solutions replaced by exercise stubs) and the
  instructor version of every lab, from the one source (cell tags ``exercise`` and
  ``solution``); ``qsn labs --student DIR --instructor DIR`` on the command line.
* :func:`sliders` — ipywidgets sliders for a plotting function, its static figure without them.
* :func:`model_file` — the path of a bundled model file (``models/NAME.toml``).

>>> from qsn_qutip.labs import check
>>> check("lab3.three_sites", 1 / 3).status
'correct'
"""

from . import answers, magnetometry, networks  # noqa: F401  (the exercises register)
from .checking import (CORRECT, EXERCISES, MIME_TYPE, UNANSWERED, WRONG, CheckResult, Exercise,
                       check, confirm)
from .notebooks import (TAG_EXERCISE, TAG_SOLUTION, VERSIONS, describe_lab, exercises_of,
                        lab_paths, model_file, problems, read_lab, source_dir, version,
                        write_labs)
from .widgets import sliders, widgets_available

__all__ = ["check", "confirm", "CheckResult", "Exercise", "EXERCISES", "CORRECT", "WRONG",
           "UNANSWERED", "MIME_TYPE", "write_labs", "version", "problems", "exercises_of",
           "lab_paths", "read_lab", "describe_lab", "source_dir", "model_file", "TAG_EXERCISE",
           "TAG_SOLUTION", "VERSIONS", "sliders", "widgets_available"]
