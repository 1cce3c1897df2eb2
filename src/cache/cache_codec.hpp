// What the shared L2 cache stores: user records and agent grants as compact JSON. A user
// record goes without its password hash: the hash never leaves the database and this process
// (a reader that needs it loads the record from the database).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/agent_store.hpp"
#include "store/identity_store.hpp"

namespace archon::cache {

std::string encode_user(const store::UserRecord& user);  // password_hash left out
std::optional<store::UserRecord> decode_user(std::string_view text);  // nullopt if malformed

std::string encode_grants(const std::vector<store::AgentGrant>& grants);
std::optional<std::vector<store::AgentGrant>> decode_grants(std::string_view text);

}  // namespace archon::cache
