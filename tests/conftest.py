"""The project's own tests: helpers in this folder import as plain modules."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
