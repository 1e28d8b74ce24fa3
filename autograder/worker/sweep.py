"""Kill every other process of this user (or of this PID namespace), until none is left.

One kill(-1, SIGKILL) reaches every process the caller may signal but itself and init,
and the kernel sends it with its process list locked, so no fork slips through that one
sweep. It is repeated all the same until /proc shows no other living process of the
caller's user (zombies are dead: they run nothing), a bounded number of times: a process
that hops from pid to pid outruns any sweep that lists /proc first and kills after, never
one that kill(-1) makes.

Used by the warm parent between concepts, and as `python -m`-like entry (`main`) by the
grader after a uid sandbox ends, run as that sandbox's user: root itself must never call
kill(-1). There it also removes what the user left in the machine's shared folders
(/tmp, ...), where a file of one submission's could stand in a classmate's way.
"""

import json
import os
import signal
import sys

from autograder.worker.scratch import emptied_shared

ROUNDS = 200
SWEPT_ENTRIES = 1_000_000  # at the sandbox's end, bounded by the sweep's own time limit instead


def kill_every_other_process() -> bool:
    """Kill every other process this one may signal; True once none is left alive."""
    for _ in range(ROUNDS):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:  # nothing else to signal, not even a zombie
            return True
        if not _others_alive():
            return True
    return False


def _others_alive() -> bool:
    """Whether /proc shows a living process of this user, other than this one and init."""
    me, uid = os.getpid(), os.getuid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (me, 1):
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid and not fields.get("State", "").strip().startswith(("Z", "X")):
            return True
    return False


def main() -> None:
    """Exit 0 once no other process of this user lives and the machine's shared folders
    argv[2] names (JSON, `isolation.shared_scratch`) hold nothing else of it; 1 otherwise."""
    killed = kill_every_other_process()
    emptied = emptied_shared(json.loads(sys.argv[2]), most=SWEPT_ENTRIES)
    sys.exit(0 if killed and emptied else 1)
