"""What the warm parent imports when its sandbox is to serve a concept built on torch.

A worker that trains a torch model pays for two imports before its first step: torch
itself (about one floor, a bare `python -c "import torch"`) and, when it makes its first
optimiser, torch._dynamo, nearly as much again (torch.optim wraps its methods in
torch._disable_dynamo, which imports it on first use). Imported once in the warm parent,
before it forks, both are inherited by every worker of the sandbox: the concept's checks,
and the fresh worker after each failure, pay for neither.

The warm parent imports them before any student code has run in its sandbox, so nothing
a submission leaves behind (in the sandbox's /tmp, say) can take part in the import. (The
grading process needs torch._dynamo only for the optimisers' oracles, whose check module
imports it at collection.)
"""

import importlib

TORCH_MODULES = ("torch", "torch._dynamo")


def preload_torch() -> None:
    """Import TORCH_MODULES into this process, if they can be: a worker that needs torch
    and finds it missing imports it, and reports a failure, on its own."""
    try:
        for name in TORCH_MODULES:
            importlib.import_module(name)
    except Exception:  # noqa: BLE001, S110 - the worker's own import is the one that counts
        pass
