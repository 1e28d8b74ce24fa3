#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image.
set -euo pipefail
cd /autograder/source
python3 -m pip install "torch=={torch_version}" --index-url https://download.pytorch.org/whl/cpu
python3 -m pip install -e .
