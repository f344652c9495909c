#!/usr/bin/env bash
# The main job: install what is missing, compile the Sri Chan Road scene, then serve the street
# and its browser client on the embedded store (SQLite under var/; no Redis, no other service).
#   bash tools/run.sh [srichan serve flags…]     e.g. --host 0.0.0.0 --port 8080
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
mkdir -p var
.venv/bin/srichan scene build scenes/srichan.toml --out assets/build
.venv/bin/srichan scene preview scenes/srichan.toml -o assets/build/srichan-plan.svg
exec .venv/bin/srichan serve "$@"
