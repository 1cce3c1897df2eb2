// Argon2id (RFC 9106) over the vendored reference implementation (third_party/argon2), with the
// hash's memory kept per thread: libsodium mapped and populated 19 MiB for every hash, and that
// was 41% of a login's CPU (third_party/argon2/README.md). Output is the PHC string libsodium
// and every other Argon2 library read and write: "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<tag>".
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace archon::identity::argon2id {

struct Cost {
  std::uint32_t memory_kib = 19 * 1024;
  std::uint32_t iterations = 2;
  std::uint32_t lanes = 1;
  friend bool operator==(const Cost&, const Cost&) = default;
};

// Throws std::invalid_argument when `cost` is outside what Argon2 accepts.
void check_cost(const Cost& cost);

// A PHC string with a fresh 16-byte random salt and a 32-byte tag. The password is any bytes.
// Throws std::runtime_error when the memory cannot be had.
std::string hash(std::string_view password, const Cost& cost);

// True when `encoded` is a well-formed Argon2id v1.3 PHC string and `password` matches it (the
// tags are compared in constant time). False for anything malformed; never throws for bad input.
bool verify(std::string_view password, std::string_view encoded);

// The cost a well-formed Argon2id v1.3 PHC string was made with; nullopt otherwise.
std::optional<Cost> cost_of(std::string_view encoded);

// The memory a thread hashes in is kept for its next hash (no mmap, no page faults, no munmap).
// This gives it back to the system now; the next hash on this thread maps it again. Idle hashing
// threads and one-off callers (start-up's dummy hash) call it so that idle RSS stays small.
void release_thread_memory() noexcept;

// Bytes this thread keeps between hashes (0 after release_thread_memory()). For tests.
std::size_t thread_memory_bytes() noexcept;

// Which block filler runs: "avx2", "sse2" or "portable". For logs and the bench.
std::string_view implementation() noexcept;

}  // namespace archon::identity::argon2id
