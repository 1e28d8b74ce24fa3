"""Run a command as a host with a prompt init does (systemd, tini, `docker --init`): as a
child subreaper that reaps every orphan at once. Without one, a process that hops from pid
to pid piles up zombies and stops at its process limit; with one, it hops on for ever.

Usage: python3 orphan_reaper.py COMMAND [ARGUMENTS...]; exits with COMMAND's status.
"""

import ctypes
import os
import sys

PR_SET_CHILD_SUBREAPER = 36

ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
main = os.fork()
if main == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
while True:
    pid, status = os.wait()
    if pid == main:
        sys.exit(os.waitstatus_to_exitcode(status))
