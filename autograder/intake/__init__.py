"""Intake: read any submission safely and turn it into a folder the grader can grade.

`autograder grade PATH` and `autograder grade-all DIR` read submissions only through here
(law 9: nobody is lost). An entry (a folder, a cloned repository, GitHub's "Download ZIP"
folder, a `.zip`, a notebook, a platform's flat files, `entries`) becomes a prepared
folder of plain regular files with the exact module names (`prepare`), with notes on which
file was used for which module and what was left out, and a status. Links and special
files are never followed (`walk`), archives cannot climb out or explode (`archive`),
near-miss names are recognised (`names`, `locate`), and notebooks become modules made of
their code cells, outside any kernel (`notebook`, `statements`).
"""

from autograder.intake.entries import Entry, entry_for, find_entries
from autograder.intake.prepare import Intake, checked_names, prepare

__all__ = ["Entry", "Intake", "checked_names", "entry_for", "find_entries", "prepare"]
