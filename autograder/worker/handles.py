"""A handle: the grader's view of a student object that is not data (law 4).

A `Value` node or an `nn.Module` stays in the worker; the check holds a `Handle` and may
read its attributes, call it or its methods, combine it with arithmetic operators,
iterate over it and take its length. Each of these is one request to the worker, and
whatever comes back is again data or a handle. Nothing else of the object is reachable.
"""

from typing import Any

from autograder.worker.codec import Tagged


class Handle:
    __slots__ = ("_worker", "_id", "_student_type")

    def __init__(self, worker: Any, handle_id: int, student_type: str):
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_id", handle_id)
        object.__setattr__(self, "_student_type", student_type)

    @property
    def student_type(self) -> str:
        """The student object's type name, for feedback."""
        return self._student_type

    def tag(self) -> dict:
        return {Tagged.HANDLE: self._id}

    def _ask(self, payload: dict, label: str) -> Any:
        return self._worker.owner.call_handle(self, dict(payload, handle=self._id), label)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._ask({"op": "getattr", "name": name}, f"{self._short_type()}.{name}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a check may not change a student object")

    def __call__(self, *args, **kwargs) -> Any:
        return self._ask({"op": "call_handle", "args": list(args), "kwargs": kwargs}, self._short_type())

    def _binary(self, name: str, other: Any, reflected: bool) -> Any:
        return self._ask({"op": "binop", "name": name, "other": other, "reflected": reflected}, f"{self._short_type()} {name}")

    def __add__(self, other):
        return self._binary("add", other, False)

    def __radd__(self, other):
        return self._binary("add", other, True)

    def __sub__(self, other):
        return self._binary("sub", other, False)

    def __rsub__(self, other):
        return self._binary("sub", other, True)

    def __mul__(self, other):
        return self._binary("mul", other, False)

    def __rmul__(self, other):
        return self._binary("mul", other, True)

    def __truediv__(self, other):
        return self._binary("truediv", other, False)

    def __rtruediv__(self, other):
        return self._binary("truediv", other, True)

    def __pow__(self, other):
        return self._binary("pow", other, False)

    def __rpow__(self, other):
        return self._binary("pow", other, True)

    def __matmul__(self, other):
        return self._binary("matmul", other, False)

    def __neg__(self):
        return self._ask({"op": "neg"}, f"-{self._short_type()}")

    def __iter__(self):
        return iter(self._ask({"op": "iter"}, f"iterating over {self._short_type()}"))

    def __len__(self) -> int:
        length = self._ask({"op": "len"}, f"len({self._short_type()})")
        if type(length) is not int:
            raise TypeError("len() of a student object must be an int")
        return length

    def __repr__(self) -> str:
        return f"<student object {self._student_type}>"

    def _short_type(self) -> str:
        """The type's own name in a label (`Value.backward`); in a hidden check `object`,
        as student code names its types at run time, and a name may spell hidden inputs."""
        from autograder.compare import REVEAL_EXPECTED  # compare imports this module

        return self._student_type.rsplit(".", 1)[-1] if REVEAL_EXPECTED.get() else "object"
