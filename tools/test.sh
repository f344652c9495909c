#!/usr/bin/env bash
# The test command: install what is missing, lint, type-check, then run the whole test suite.
#   bash tools/test.sh [pytest args…]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
npx --no-install prettier --check server/web/js server/web/css server/web/owner server/web/admin server/web/index.html
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$status"
