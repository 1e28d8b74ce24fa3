"""What the warm parent imports when its sandbox is to serve a concept built on torch.

A worker that trains a torch model pays for torch's import (about one floor, a bare
`python -c "import torch"`) before its first step. Imported once in the warm parent,
before it forks, torch is inherited by every worker of the sandbox: the concept's checks,
and the fresh worker after each failure, do not pay for it again. The first optimiser
would import torch._dynamo, nearly as long again, for calls that do nothing in eager
mode: the warm parent puts a stand-in in its place (`autograder.worker.eager_dynamo`),
which imports the real one only for code that needs it.

The warm parent imports torch before any student code has run in its sandbox, so nothing
a submission leaves behind (in the sandbox's /tmp, say) can take part in the import. (The
grading process needs the real torch._dynamo for the optimisers' oracles, whose check
module imports it at collection.)
"""

from autograder.worker import eager_dynamo


def preload_torch() -> None:
    """Import torch into this process, with the stand-in for torch._dynamo, if it can be:
    a worker that needs torch and finds it missing imports it, and reports a failure, on
    its own."""
    try:
        import torch  # noqa: F401
    except Exception:  # noqa: BLE001, S110 - the worker's own import is the one that counts
        return
    eager_dynamo.install()
