// The L2 cache the instances share (Redis), behind the L1 caches. Read-through with a
// generation per entry group, so a reader that loaded from the database before a writer's
// commit can never put the old value back after the writer dropped it:
//   reader: get(key, gen) -> value or miss + generation g; load from the database;
//           put(key, gen, g, value) stores only if gen still equals g.
//   writer: commit, then invalidate(key, gen): bump gen (every value put under the old gen
//           is a miss from then on; several keys may share one gen), delete key (if given).
// Failures never reach the caller: a get that fails is a miss, a put that fails is skipped.
// An invalidation that fails (Redis unreachable for the writer) is made good by
// invalidate_all() as soon as Redis answers again, so no stale value outlives an outage.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace archon::cluster {

class SharedCache {
 public:
  struct Lookup {
    std::optional<std::string> value;
    std::string generation;  // opaque; hand it back to put()
    bool available = true;   // false: the L2 did not answer (do not put)
  };
  virtual ~SharedCache() = default;
  virtual Lookup get(std::string_view key, std::string_view generation_key) = 0;
  virtual void put(std::string_view key, std::string_view generation_key, std::string_view generation,
                   std::string_view value, std::chrono::seconds ttl) = 0;
  virtual void invalidate(std::string_view key, std::string_view generation_key) = 0;
  // Every entry written so far is stale (messages or invalidations may have been missed).
  virtual void invalidate_all() = 0;
};

}  // namespace archon::cluster
