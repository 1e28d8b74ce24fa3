"""Attacks on the zygote (`autograder.worker.zygote`, switch AUTOGRADER_ZYGOTE=1): what
every sandbox forked from one zygote shares that fresh interpreters would each draw for
themselves. Real bwrap, as root."""

import os
import shutil
from pathlib import Path

import pytest

from autograder.worker.isolation import bound_folders, find_bwrap
from autograder.worker import zygote
from autograder.worker.zygote import SWITCH, Zygote, Zygotes
from test_zygote import call, ended, torch_sandbox

PROBE = Path(__file__).parent / "zygote_breaker_probe.py"
pytestmark = pytest.mark.skipif(os.geteuid() != 0 or find_bwrap() is None, reason="the zygote serves bwrap as root (CI runs as root)")


@pytest.fixture(autouse=True)
def switched_on(monkeypatch):
    monkeypatch.setenv(SWITCH, "1")


@pytest.fixture(scope="module")
def states():
    """The probe's random states in two sandboxes of one grading process, both from the zygote."""
    found = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SWITCH, "1")
        for _ in range(2):
            parent = torch_sandbox(joined=True)
            try:
                shutil.copy(PROBE, parent.layout.submission / "probe.py")
                found.append(call(parent, "random_states"))
            finally:
                ended(parent)
    return found


@pytest.mark.parametrize("state", ["torch", "authkey"])
def test_each_joined_sandbox_draws_its_own_torch_seed_and_multiprocessing_key(states, state):
    """A fresh interpreter seeds torch's default generator and draws multiprocessing's
    authentication key at start; forked from the zygote, every classmate's sandbox had the
    zygote's (the same unseeded torch.randn for all, a key one submission could read for
    another)."""
    first, second = states
    assert first[state] != second[state]


@pytest.mark.xfail(strict=True, reason="a library's own generator made at import (sympy.core.random.rng) keeps the zygote's state in every sandbox")
def test_each_joined_sandbox_draws_its_own_sympy_random_state(states):
    first, second = states
    assert first["sympy"] != second["sympy"]


def test_a_joined_sandbox_sees_the_sandboxs_timezone_not_the_zygotes(monkeypatch):
    """The zygote's C library read the host's timezone at its start (/etc/localtime, which
    no sandbox holds, so today's sees UTC); its warm parents must look again in the
    sandbox. A zygote whose C library took Asia/Tokyo at its start, with no TZ left in its
    environment, stands in for a host whose /etc/localtime is Asia/Tokyo."""
    tokyo = "import os, time; os.environ['TZ'] = 'Asia/Tokyo'; time.tzset(); del os.environ['TZ']; "
    monkeypatch.setattr(zygote, "ZYGOTE_MAIN", tokyo + zygote.ZYGOTE_MAIN)
    host = Zygote(bound_folders())
    monkeypatch.setattr(Zygotes, "shared", host)
    monkeypatch.setattr(Zygotes, "refused", None)
    try:
        parent = torch_sandbox(joined=True)
        try:
            shutil.copy(PROBE, parent.layout.submission / "probe.py")
            assert call(parent, "local_time") == ["UTC", "UTC", 0]
        finally:
            ended(parent)
    finally:
        host.close()


@pytest.fixture(scope="module")
def host():
    """The probe's `host()` in one sandbox from the zygote."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SWITCH, "1")
        parent = torch_sandbox(joined=True)
        try:
            shutil.copy(PROBE, parent.layout.submission / "probe.py")
            return call(parent, "host")
        finally:
            ended(parent)


def test_a_joined_sandbox_names_the_machine_sandbox_not_the_host(host):
    """platform caches uname() when torch's import first asks, in the zygote, outside the
    sandbox's UTS namespace: platform.node() gave the host's name (today's: "sandbox")."""
    assert host["node"] == "sandbox"


@pytest.mark.xfail(strict=True, reason="sys.orig_argv is the zygote's command line (its -c code and private folder), not a warm parent's")
def test_a_joined_sandbox_shows_no_command_line_of_the_zygote(host):
    assert not host["orig_argv_has_zygote"]
