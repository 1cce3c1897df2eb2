#!/usr/bin/env bash
# Tests of the Go SDK (sdks/go) and the example tool server (examples/go-tool-server):
# go vet, then go test -race against the real archon-auth binary ($ARCHON_AUTH_BIN).
# Needs Go >= 1.24 on PATH (or /usr/local/go/bin). Takes about 2-3 minutes on 2 cores.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
example="$repo/examples/go-tool-server"

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "sdks/go/test.sh: go is not installed (Go >= 1.24 is needed; Debian bookworm's golang is too old)" >&2
  exit 1
fi
: "${ARCHON_AUTH_BIN:?sdks/go/test.sh: set ARCHON_AUTH_BIN to the archon-auth binary}"
if [ ! -x "$ARCHON_AUTH_BIN" ]; then
  echo "sdks/go/test.sh: ARCHON_AUTH_BIN=$ARCHON_AUTH_BIN is not executable" >&2
  exit 1
fi
export ARCHON_AUTH_BIN="$(cd "$(dirname "$ARCHON_AUTH_BIN")" && pwd)/$(basename "$ARCHON_AUTH_BIN")"
export ARCHON_REQUIRE_SERVER=1   # a missing binary fails the integration tests instead of skipping them
export GOFLAGS="${GOFLAGS:-} -mod=readonly"

if command -v python3 >/dev/null 2>&1; then
  echo "== shared vectors are in sync with their tables"
  python3 "$repo/sdks/testdata/build_vectors.py" --check
fi

for dir in "$here" "$example"; do
  echo "== $(basename "$dir"): go mod download, vet"
  (cd "$dir" && go mod download && go vet ./...)
  unformatted="$(cd "$dir" && gofmt -l .)"
  if [ -n "$unformatted" ]; then
    echo "gofmt would change: $unformatted" >&2
    exit 1
  fi
done

# -p 2: the machine is shared; each package starts its own archon-auth servers.
echo "== go test -race (sdks/go and examples/go-tool-server)"
(cd "$here" && go test -race -count=1 -p 2 -timeout 240s ./...)
(cd "$example" && go test -race -count=1 -timeout 180s ./...)
echo "== Go SDK: all tests passed"
