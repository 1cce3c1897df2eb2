// libFuzzer target: the stored-hash parser. Password hashes come back from the database (and from
// bcrypt/Argon2 imports), so a corrupted or hostile row must be refused, never crash, hang or
// allocate without bound. Built and run by scripts/fuzz.sh.
//
// Invariants checked on every input:
//  - cost_of() and verify() agree on what is well formed: a string cost_of() refuses never verifies;
//  - a cost cost_of() accepts is one Argon2 accepts (check_cost does not throw) and is bounded.
// verify() runs the hash, so it is only called on strings whose cost is tiny or that cost_of()
// refused (those must be rejected before any memory is taken).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "identity/argon2id.hpp"

namespace argon2id = archon::identity::argon2id;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view encoded(reinterpret_cast<const char*>(data), size);
  auto cost = argon2id::cost_of(encoded);
  if (!cost) {
    if (argon2id::verify("password", encoded)) std::abort();  // malformed yet verified
    return 0;
  }
  argon2id::check_cost(*cost);  // throws (and the fuzzer reports it) if the parser let a bad cost by
  if (cost->memory_kib > 4u * 1024 * 1024 || cost->iterations > 1024 || cost->lanes > 64) std::abort();
  if (cost->memory_kib <= 64 && cost->iterations <= 2 && cost->lanes <= 2) (void)argon2id::verify("password", encoded);
  return 0;
}
