"""What honest submissions do still works in the sandbox, under every filter and limit it
sets (seccomp, 256 descriptors a process, 64 processes and threads, 3 GiB together): the hardening
against hostile code must cost a student who writes ordinary numpy and torch nothing."""

import pytest
from sandboxed import sandboxed

HONEST = """
import multiprocessing
import subprocess
import sys
import tempfile
import threading

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset


def _square(x):
    return x * x


def pool():
    with multiprocessing.get_context("fork").Pool(2) as workers:
        return sum(workers.map(_square, range(10)))


def data_loader():
    torch.manual_seed(0)
    batches = DataLoader(TensorDataset(torch.arange(64.0).reshape(32, 2)), batch_size=4, num_workers=2, shuffle=True)
    return float(sum(batch[0].sum() for batch in batches))


def threads_and_training():
    torch.set_num_threads(2)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 1))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = torch.randn(16, 1, 8, 8), torch.randn(16, 1)
    for _ in range(5):
        optimiser.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimiser.step()
    results = []
    thread = threading.Thread(target=lambda: results.append(float(loss)))
    thread.start()
    thread.join()
    return len(results)


def files():
    with tempfile.TemporaryDirectory() as folder:
        np.save(f"{folder}/a.npy", np.arange(5))
        return int(np.load(f"{folder}/a.npy").sum())


def child_process():
    return subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True).stdout.strip()


def rewrapped_output():
    import io
    stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)
    print("progress", file=stream)
    stream.flush()
    return "printed"
"""
EXPECTED = {"pool": 285, "data_loader": float(sum(range(64))), "threads_and_training": 1, "files": 10, "child_process": "42"}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    submission = sandboxed(tmp_path_factory.mktemp("honest"), {"honest": HONEST})
    yield submission
    submission.close()


@pytest.mark.parametrize("workload", sorted(EXPECTED))
def test_honest_code_runs_in_the_sandbox_as_outside(sandbox, workload):
    sandbox.start_check(60)
    assert getattr(sandbox.module("honest"), workload)() == EXPECTED[workload]


def test_a_text_wrapper_around_stdout_works(sandbox):
    """A common idiom: io.TextIOWrapper(sys.stdout.buffer, encoding=...)."""
    sandbox.start_check(30)
    assert sandbox.module("honest").rewrapped_output() == "printed"
