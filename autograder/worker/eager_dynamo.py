"""torch._dynamo as eager code sees it, until some code needs the real one.

torch.optim wraps an optimiser's methods in `torch._disable_dynamo`, and its `step` calls
`torch._dynamo.graph_break()` twice: the first optimiser a worker makes imports
torch._dynamo, which takes nearly as long as torch itself (about 2.3 s of CPU on the
2-core machine, a sympy and a bytecode tracer), though in eager mode neither call does
anything but call the function. A sandbox that trains a model would pay that at its start,
once per submission.

`install()` puts `EagerDynamo` in its place: `disable(fn)` calls `fn`, `graph_break()`
returns, exactly as the real ones do outside `torch.compile`. Any other use (an attribute,
`torch.compile`, an import of one of its submodules) imports the real torch._dynamo, which
takes the stand-in's place in `sys.modules` and on `torch`; a function `disable` wrapped
before then hands its calls to the real `disable` from then on. So no code, the
submission's included, sees a difference but the time it saves.
"""

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any, Callable

NAME = "torch._dynamo"


class EagerDynamo(types.ModuleType):
    """The stand-in for torch._dynamo: `disable` and `graph_break` for eager code, the real
    module for anything else (`real()`)."""

    def __init__(self):
        super().__init__(NAME, __doc__)
        self._real: types.ModuleType | None = None

    def real(self) -> types.ModuleType:
        """The real torch._dynamo, imported now if it was not, in the stand-in's place."""
        if self._real is None:
            torch = sys.modules["torch"]
            if sys.modules.get(NAME) is self:
                del sys.modules[NAME]
            if torch.__dict__.get("_dynamo") is self:
                del torch._dynamo
            self._real = importlib.import_module(NAME)
        return self._real

    def disable(self, fn: Callable | None = None, recursive: bool = True, *, reason: str | None = None, wrapping: bool = True) -> Callable:
        """`fn`, to be called outside any compiled graph (torch._dynamo.disable)."""
        if fn is None or self._real is not None:  # a decorator factory or a context: the real one's
            return self.real().disable(fn, recursive, reason=reason, wrapping=wrapping)
        delegate: Callable | None = None

        def eager(*args: Any, **kwargs: Any) -> Any:
            nonlocal delegate
            if delegate is None and self._real is not None:
                delegate = self._real.disable(fn, recursive, reason=reason, wrapping=wrapping)
            return (delegate or fn)(*args, **kwargs)

        return functools.wraps(fn)(eager) if wrapping else eager

    def graph_break(self, msg: str = "") -> None:
        """Nothing, in eager mode (torch._dynamo.graph_break)."""
        if self._real is not None:
            self._real.graph_break(msg)

    def __getattr__(self, name: str) -> Any:
        if name == "__path__":  # asked by the import of a submodule, found in the real one
            real = self.real()
            sys.meta_path.insert(0, _ImportedBy())
            return real.__path__
        return getattr(self.real(), name)


class _ImportedBy(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The import of a submodule that made the stand-in import the real torch._dynamo: that
    import brought the submodule along already, and Python's import system, which asked for
    the stand-in's __path__ after it last looked in sys.modules, would run it a second time.
    This finder, consulted once, answers with the module already there."""

    def __init__(self):
        self.module: types.ModuleType | None = None
        self.original_spec: importlib.machinery.ModuleSpec | None = None

    def find_spec(self, name: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        sys.meta_path.remove(self)
        self.module = sys.modules.get(name) if name.startswith(NAME + ".") else None
        self.original_spec = getattr(self.module, "__spec__", None)
        return importlib.util.spec_from_loader(name, self) if self.module is not None else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self.original_spec


def install() -> None:
    """Put the stand-in in place of torch._dynamo, if torch is imported and the real
    torch._dynamo is not."""
    torch = sys.modules.get("torch")
    if torch is None or NAME in sys.modules:
        return
    stand_in = EagerDynamo()
    sys.modules[NAME] = stand_in
    torch._dynamo = stand_in
