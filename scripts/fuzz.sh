#!/usr/bin/env bash
# Builds the JWT decoder fuzz target (src/crypto/jwt_decode_fuzz.cpp) with clang, libFuzzer,
# AddressSanitizer and UndefinedBehaviorSanitizer, straight from the sources (no CMake), and runs
# it for FUZZ_SECONDS (default 20). Exits non-zero if the build fails or the fuzzer finds a crash,
# a leak, undefined behaviour or a timeout; the reproducer is left in $FUZZ_WORK_DIR/artifacts.
# Needs the Debian bookworm packages clang-14 and libclang-rt-14-dev (libFuzzer's runtime), and the
# project's libboost-json1.81-dev and libssl-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_WORK_DIR=${FUZZ_WORK_DIR:-build/fuzz}
CXX=${FUZZ_CXX:-}
if [ -z "$CXX" ]; then
  CXX=$(command -v clang++-14 || command -v clang++ || true)
fi
if [ -z "$CXX" ]; then
  echo "fuzz: clang++ not found; install clang-14 and libclang-rt-14-dev" >&2
  exit 2
fi

mkdir -p "$FUZZ_WORK_DIR/corpus" "$FUZZ_WORK_DIR/artifacts"
binary="$FUZZ_WORK_DIR/jwt_decode_fuzz"
sources=(
  src/crypto/jwt_decode_fuzz.cpp
  src/crypto/jwt.cpp
  src/crypto/base64url.cpp
  src/crypto/jws_algorithm.cpp
  src/crypto/signing_key.cpp
  src/crypto/verification_key.cpp
  src/crypto/openssl_support.cpp
  src/core/strict_json.cpp
)
echo "fuzz: building $binary with $CXX"
"$CXX" -std=c++20 -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Isrc "${sources[@]}" -lboost_json -lssl -lcrypto -o "$binary"

# Seeds: well-formed tokens for each algorithm (kid "k", the fixed keys' kid), so the fuzzer
# starts past the structural checks. Header {"alg":"…","kid":"k"}, payload {"sub":"a"}.
seed() { printf '%s' "$2" > "$FUZZ_WORK_DIR/corpus/seed-$1"; }
payload='eyJzdWIiOiJhIn0'
sig64='AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ'
seed rs256 "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.$payload.$sig64"
seed es256 "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsifQ.$payload.$sig64"
seed eddsa "eyJhbGciOiJFZERTQSIsImtpZCI6ImsifQ.$payload.$sig64"
seed none "eyJhbGciOiJub25lIiwia2lkIjoiayJ9.$payload."

echo "fuzz: running for ${FUZZ_SECONDS}s"
status=0
"$binary" -max_total_time="$FUZZ_SECONDS" -max_len=9000 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$FUZZ_WORK_DIR/artifacts/" "$FUZZ_WORK_DIR/corpus" || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED (exit $status); reproducer in $FUZZ_WORK_DIR/artifacts/" >&2
  exit "$status"
fi
echo "fuzz: no crash in ${FUZZ_SECONDS}s"
