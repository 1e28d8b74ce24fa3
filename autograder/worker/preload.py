"""What the warm parent imports, when asked, for a concept built on torch.

A worker that trains a torch model pays for two imports before its first step: torch
itself (about one floor, a bare `python -c "import torch"`) and, when it makes its first
optimiser, torch._dynamo, nearly as much again (torch.optim wraps its methods in
torch._disable_dynamo, which imports it on first use). Imported once in the warm parent,
before it forks, both are inherited by every worker of the sandbox: the concept's public
and hidden checks, and the fresh worker after each failure, pay for neither.

Nothing of the submission runs here; the modules are the grader's own, in the sandbox.
"""

import importlib

TORCH_MODULES = ("torch", "torch._dynamo")


def preload_torch() -> bool:
    """Import TORCH_MODULES into this process; whether it worked."""
    try:
        for name in TORCH_MODULES:
            importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a worker that needs torch will report its own import
        return False
    return True
