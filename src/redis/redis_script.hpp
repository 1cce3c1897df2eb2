// A Lua script run with EVALSHA. Its SHA1 is computed here, so the first call needs no
// SCRIPT LOAD and a Redis that restarted (and forgot its script cache) costs one EVAL.
#pragma once
#include <string>

namespace archon::redis {

class RedisScript {
 public:
  explicit RedisScript(std::string source);

  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }  // 40 lowercase hex digits, as Redis names it

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace archon::redis
