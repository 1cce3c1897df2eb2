#!/usr/bin/env bash
# Builds the fuzz targets with clang, libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer,
# straight from the sources (no CMake), and runs each for FUZZ_SECONDS (default 20):
#   jwt_decode_fuzz   src/crypto/jwt_decode_fuzz.cpp      the JWT decoder (every token we are sent)
#   argon2id_phc_fuzz src/identity/argon2id_phc_fuzz.cpp  the stored password-hash parser
# Exits non-zero if a build fails or a fuzzer finds a crash, a leak, undefined behaviour or a
# timeout; the reproducer is left in $FUZZ_WORK_DIR/artifacts.
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

mkdir -p "$FUZZ_WORK_DIR/corpus" "$FUZZ_WORK_DIR/phc_corpus" "$FUZZ_WORK_DIR/artifacts"
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

# The password-hash parser: the vendored Argon2 C (sanitised here too: the fuzzer is where its
# parser meets hostile input) built as CMake builds it, with the block filler chosen at run time.
phc_binary="$FUZZ_WORK_DIR/argon2id_phc_fuzz"
CC=${FUZZ_CC:-$(command -v clang-14 || command -v clang || true)}
A=third_party/argon2
cflags=(-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
        -w -DARGON2_NO_THREADS -I$A/include -I$A/src)
objdir="$FUZZ_WORK_DIR/argon2_obj"
mkdir -p "$objdir"
echo "fuzz: building $phc_binary with $CXX"
for c in argon2 core encoding blake2/blake2b; do
  "$CC" "${cflags[@]}" -c "$A/src/$c.c" -o "$objdir/$(basename $c).o"
done
if [ "$(uname -m)" = x86_64 ]; then
  "$CC" "${cflags[@]}" -mavx2 -Dfill_segment=archon_argon2_fill_segment_avx2 -c $A/src/opt.c -o "$objdir/opt_avx2.o"
  "$CC" "${cflags[@]}" -Dfill_segment=archon_argon2_fill_segment_sse2 -c $A/src/opt.c -o "$objdir/opt_sse2.o"
else
  "$CC" "${cflags[@]}" -c $A/src/ref.c -o "$objdir/ref.o"
fi
"$CC" "${cflags[@]}" -c $A/fill_segment_dispatch.c -o "$objdir/dispatch.o"
"$CXX" -std=c++20 -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc -isystem $A/include \
  src/identity/argon2id_phc_fuzz.cpp src/identity/argon2id.cpp src/crypto/random.cpp src/crypto/base64url.cpp \
  "$objdir"/*.o -lssl -lcrypto -o "$phc_binary"

# Seeds: what the server writes (m=19456,t=2,p=1), a cheap cost the target verifies, and the
# reference implementation's own vectors' shape.
phc_seed() { printf '%s' "$2" > "$FUZZ_WORK_DIR/phc_corpus/seed-$1"; }
phc_seed server '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI'
phc_seed cheap '$argon2id$v=19$m=16,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI'
phc_seed lanes '$argon2id$v=19$m=32,t=2,p=2$c29tZXNhbHQ$MTIzNDU2Nzg5MDEyMzQ1Ng'

run_fuzzer() {  # name binary corpus max_len
  echo "fuzz: running $1 for ${FUZZ_SECONDS}s"
  local status=0
  "$2" -max_total_time="$FUZZ_SECONDS" -max_len="$4" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$FUZZ_WORK_DIR/artifacts/$1-" "$3" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "fuzz: $1 FAILED (exit $status); reproducer in $FUZZ_WORK_DIR/artifacts/" >&2
    exit "$status"
  fi
  echo "fuzz: $1: no crash in ${FUZZ_SECONDS}s"
}
run_fuzzer jwt_decode "$binary" "$FUZZ_WORK_DIR/corpus" 9000
run_fuzzer argon2id_phc "$phc_binary" "$FUZZ_WORK_DIR/phc_corpus" 512
