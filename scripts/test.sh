#!/usr/bin/env bash
# Set up everything (idempotent, see scripts/setup.sh) and run the test suite.
#
#   bash scripts/test.sh                          # everything in tests/
#   bash scripts/test.sh tests/test_bag_roundtrip.py -x   # pytest arguments replace "tests"
#
# ROS tests isolate themselves (unique ROS_DOMAIN_ID, LOCALHOST discovery, temporary
# ROS_LOG_DIR). With CI=true a test that would skip (missing ../shared, npm package, module)
# fails instead.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$REPO/scripts/setup.sh" --with-node
cd "$REPO"
ARGS=("$@")
[[ ${#ARGS[@]} -gt 0 ]] || ARGS=(tests)
exec "$REPO/.venv/bin/python" -m pytest -q -p no:cacheprovider \
  --timeout=900 --durations=15 "${ARGS[@]}"
