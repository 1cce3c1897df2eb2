#!/usr/bin/env bash
# The one command that starts the server: installs what is missing, builds the release binary
# (build/release/archon-auth) and runs it on the embedded default: 127.0.0.1:8181, data in ./data.
# Extra arguments go to `archon-auth serve` (e.g. --config config/archon-auth.example.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
exec build/release/archon-auth serve --data-dir ./data "$@"
