#!/usr/bin/env bash
# The main job: install what is missing, compile the Sri Chan Road scene and write its plan.
#   bash tools/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
.venv/bin/srichan scene build scenes/srichan.toml --out assets/build
.venv/bin/srichan scene preview scenes/srichan.toml -o assets/build/srichan-plan.svg
