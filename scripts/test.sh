#!/usr/bin/env bash
# Set up everything (idempotent, see scripts/setup.sh) and run the test suite.
#
#   bash scripts/test.sh                          # everything in tests/
#   bash scripts/test.sh tests/test_bag_roundtrip.py -x   # pytest arguments replace "tests"
#
# Tests marked `slow` are skipped unless SPIC_TEST_SLOW=1. ROS tests isolate themselves
# (unique ROS_DOMAIN_ID, LOCALHOST discovery, temporary ROS_LOG_DIR).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$REPO/scripts/setup.sh" --with-node
cd "$REPO"
MARKERS=()
[[ "${SPIC_TEST_SLOW:-0}" == 1 ]] || MARKERS=(-m "not slow")
ARGS=("$@")
[[ ${#ARGS[@]} -gt 0 ]] || ARGS=(tests)
exec "$REPO/.venv/bin/python" -m pytest "${MARKERS[@]}" -q -p no:cacheprovider \
  --timeout=900 --durations=15 "${ARGS[@]}"
