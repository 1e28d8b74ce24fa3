"""Student code for tests/test_breaker_fifteen.py: the interpreter's state as a worker sees it."""

import os
import signal
import sys


def _modules_now() -> list:
    return sorted(sys.modules)


def state() -> dict:
    import gc
    import locale
    import threading
    import warnings

    blocked = sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, []))
    handlers = {}
    for number in range(1, signal.NSIG):
        try:
            handler = signal.getsignal(number)
        except (ValueError, OSError):
            continue
        handlers[number] = handler if isinstance(handler, int) else getattr(handler, "__qualname__", repr(type(handler)))
    main = sys.modules["__main__"]
    return {
        "modules": _modules_now(),
        "flags": list(sys.flags),
        "warnings": [repr(f) for f in warnings.filters],
        "locale": locale.setlocale(locale.LC_ALL),
        "getlocale": list(locale.getlocale()),
        "blocked": blocked,
        "handlers": handlers,
        "recursion": sys.getrecursionlimit(),
        "switch": sys.getswitchinterval(),
        "gc": [gc.isenabled(), list(gc.get_threshold())],
        "threads": len(threading.enumerate()),
        "main_names": sorted(name for name in vars(main) if not name.startswith("__")),
        "meta_path": [repr(type(f)) for f in sys.meta_path],
        "path_hooks": len(sys.path_hooks),
        "importer_cache": sorted(sys.path_importer_cache),
        "argv0": sys.argv[0],
        "executable": sys.executable,
        "int_max_str_digits": sys.get_int_max_str_digits(),
        "float_repr": sys.float_repr_style,
        "atexit": __import__("atexit")._ncallbacks(),
        "displayhook": repr(sys.displayhook),
        "excepthook": repr(sys.excepthook),
        "audit_hooks": "n/a",
        "stdin": repr(sys.__stdin__), "stdout": repr(sys.__stdout__),
        "loaded_numpy_random": "numpy.random" in sys.modules,
    }


def frames() -> dict:
    """The locals of every frame below this call that is not the submission's: what the
    processes before the worker (the warm parent, and the zygote for a joined one) still hold."""
    found = {}
    frame = sys._getframe(1)
    while frame is not None:
        found[f"{frame.f_code.co_name}"] = sorted(frame.f_locals)
        frame = frame.f_back
    return found


def zygote_strings() -> list:
    """Strings of the zygote's own call, if its frame is there."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_name != "zygote_main":
        frame = frame.f_back
    if frame is None:
        return []
    return [repr(frame.f_locals.get(name))[:300] for name in ("setup", "private", "folders")]
