"""What ships to students imports without Unix-only modules (they use Windows too)."""

import subprocess
import sys

STUDENT_FACING = ["autograder.plugin", "autograder.compare", "autograder.submission", "autograder.report.views", "autograder.cli", "autograder.data.bittern", "autograder.trained_detector"]


def test_student_facing_modules_import_without_unix_only_modules():
    code = "import sys\nfor name in ('resource', 'pwd', 'fcntl', 'grp', 'termios'):\n    sys.modules[name] = None\n"
    code += "".join(f"import {module}\n" for module in STUDENT_FACING)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
