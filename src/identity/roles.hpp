// The roles an account can hold, defined once (the store's roles table is seeded with the same
// names and their permissions by the migrations). Everything that validates a role name asks here.
#pragma once
#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

namespace archon::identity {

inline constexpr std::array<std::string_view, 3> kRoles = {"user", "agent_operator", "admin"};
inline constexpr std::string_view kAdminRole = "admin";
// For messages: "user, agent_operator or admin".
inline constexpr std::string_view kRoleList = "user, agent_operator or admin";

inline bool is_role(std::string_view name) { return std::find(kRoles.begin(), kRoles.end(), name) != kRoles.end(); }

inline std::vector<std::string> role_names() { return {kRoles.begin(), kRoles.end()}; }

}  // namespace archon::identity
