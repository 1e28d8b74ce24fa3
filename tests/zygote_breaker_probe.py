"""Student code for tests/test_breaker_zygote.py: random states a fresh interpreter draws
for itself at start, which every sandbox forked from one zygote would otherwise share."""

import hashlib


def random_states() -> dict:
    """Digests of torch's default generator, multiprocessing's authentication key and
    sympy's generator, as student code in a worker sees them."""
    import multiprocessing

    import sympy.core.random
    import torch

    return {
        "torch": str(torch.initial_seed()),
        "authkey": hashlib.sha256(bytes(multiprocessing.current_process().authkey)).hexdigest(),
        "sympy": hashlib.sha256(repr(sympy.core.random.rng.getstate()).encode()).hexdigest(),
    }


def local_time() -> list:
    """The timezone names and the local hour of the epoch, as student code sees them."""
    import time

    return [*time.tzname, time.localtime(0).tm_hour]


def host() -> dict:
    """The machine's name and the interpreter's own command line, as student code sees them."""
    import platform
    import sys

    return {
        "node": platform.node(),
        "orig_argv_has_zygote": any("autograder-zygote-" in arg or "zygote_main" in arg for arg in sys.orig_argv),
        "orig_argv": sys.orig_argv,
        "argv": sys.argv,
    }
