"""The standard modules every warm parent imports (`autograder.worker.preload`) are those
`import torch, torch._dynamo` loads: a sandbox without torch holds them too, so that a
student's file named like one of them stands in for it in neither (test_breaker_six)."""

import json
import subprocess
import sys
from pathlib import Path

from autograder.worker.preload import STANDARD_MODULES

ROOT = Path(__file__).resolve().parent.parent
# What a warm parent has loaded before its preload, then what torch adds: the top-level
# public standard modules among them that a file could stand in for (a private one, _csv
# say, is loaded by its public one; a module built into the interpreter is found first)
LOADED_BY_TORCH = """
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy
from autograder.worker import child, parent
before = {name.partition(".")[0] for name in sys.modules}
import torch, torch._dynamo
after = {name.partition(".")[0] for name in sys.modules}
print(json.dumps(sorted(name for name in after - before if name in sys.stdlib_module_names and not name.startswith("_") and name not in sys.builtin_module_names)))
"""


def test_the_preloaded_standard_modules_are_those_torch_loads():
    done = subprocess.run([sys.executable, "-I", "-c", LOADED_BY_TORCH, str(ROOT)], capture_output=True, text=True, timeout=120, check=True)
    loaded_by_torch = set(json.loads(done.stdout))
    missing = sorted(loaded_by_torch - set(STANDARD_MODULES))
    assert not missing, f"add to STANDARD_MODULES in autograder/worker/preload.py: {missing}"
    assert len(STANDARD_MODULES) == len(set(STANDARD_MODULES)) and list(STANDARD_MODULES) == sorted(STANDARD_MODULES)
