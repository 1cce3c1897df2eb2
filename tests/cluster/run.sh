#!/usr/bin/env bash
# The multi-instance black-box tests: PostgreSQL 15, Redis 7, three archon-auth instances and
# nginx, all on loopback, all started and stopped by the fixtures (tests/cluster/conftest.py).
# Usage: tests/cluster/run.sh [extra pytest args]
# Environment: ARCHON_AUTH_BIN (default build/debug/archon-auth), ARCHON_CLUSTER_REDIS=0 (leave
# the `redis:` section out of the instances' config), ARCHON_CLUSTER_PG_STOP_MODE=immediate
# (crash PostgreSQL instead of a fast shutdown), ARCHON_CLUSTER_KEEP=1 (keep the run directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/pytest -q tests/cluster "$@"
