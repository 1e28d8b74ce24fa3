"""The stand-in for torch._dynamo that a torch sandbox's warm parent installs
(`autograder.worker.eager_dynamo`): eager training never imports the real one, and trains
exactly as with it; any other use gets the real module, imported once.

Each case runs in a fresh interpreter: the stand-in replaces a module of torch's.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TRAIN = """
import json, sys
import torch
from autograder.worker import eager_dynamo


def train(seed):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.LazyLinear(1))
    x, t = torch.randn(8, 1, 6, 6), torch.rand(8, 1)
    model(x)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(5):
        optimiser.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(model(x), t).backward()
        optimiser.step()
    return [p.detach().double().sum().item() for p in model.parameters()]
"""


def run(code: str) -> dict:
    """What `code` (after TRAIN's definitions) printed as JSON on its last line."""
    done = subprocess.run([sys.executable, "-c", TRAIN + code], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_training_with_the_stand_in_never_imports_the_real_dynamo_and_trains_the_same_model():
    result = run(
        """
eager_dynamo.install()
eager = train(0)
real_loaded = any(name.startswith("torch._dynamo.") for name in sys.modules)
stand_in = type(sys.modules["torch._dynamo"]).__name__
import torch._dynamo.eval_frame  # the real one, from here on
print(json.dumps({"eager": eager, "real": train(0), "real_loaded": real_loaded, "stand_in": stand_in}))
"""
    )
    assert result["stand_in"] == "EagerDynamo"
    assert not result["real_loaded"]
    assert result["eager"] == result["real"]  # the same floats, bit for bit


def test_importing_a_submodule_brings_the_real_dynamo_once():
    result = run(
        """
eager_dynamo.install()
import torch._dynamo.eval_frame as eval_frame
import torch._dynamo
print(json.dumps({
    "same_module": eval_frame is torch._dynamo.eval_frame is sys.modules["torch._dynamo.eval_frame"],
    "real": type(sys.modules["torch._dynamo"]).__name__ == "module" and torch._dynamo is sys.modules["torch._dynamo"],
    "own_spec": eval_frame.__spec__.name == "torch._dynamo.eval_frame" and eval_frame.__spec__.origin.endswith("eval_frame.py"),
    "finder_gone": not any(type(finder).__module__ == "autograder.worker.eager_dynamo" for finder in sys.meta_path),
}))
"""
    )
    assert result == {"same_module": True, "real": True, "own_spec": True, "finder_gone": True}


def test_any_other_use_gets_the_real_dynamo_and_earlier_optimisers_keep_working():
    result = run(
        """
eager_dynamo.install()
before = train(1)  # its optimiser's methods were wrapped by the stand-in
from torch._dynamo import disable
decorated = disable(lambda x: x + 1)(1)
compiled = torch.compile(lambda x: x * 2, backend="eager")(torch.ones(2)).tolist()
factory = torch._dynamo.disable()(lambda x: x + 3)(1)  # a decorator factory: the real one's
print(json.dumps({"before": before, "after": train(1), "decorated": decorated, "factory": factory, "compiled": compiled,
                  "real": type(sys.modules["torch._dynamo"]).__name__}))
"""
    )
    assert result["before"] == result["after"]
    assert result["decorated"] == 2 and result["factory"] == 4 and result["compiled"] == [2.0, 2.0]
    assert result["real"] == "module"


@pytest.mark.parametrize("already", ["torch._dynamo", "nothing"])
def test_install_leaves_a_real_dynamo_or_a_missing_torch_alone(already):
    imports = "import torch._dynamo" if already == "torch._dynamo" else "del sys.modules['torch']"
    result = run(
        f"""
{imports}
eager_dynamo.install()
print(json.dumps({{"stand_in": type(sys.modules.get("torch._dynamo")).__name__}}))
"""
    )
    assert result["stand_in"] == ("module" if already == "torch._dynamo" else "NoneType")
