#include "identity/identity_context.hpp"

namespace archon::identity {
namespace {
boost::json::array strings(const std::vector<std::string>& v) {
  boost::json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}
}  // namespace

void deny_sessions(IdentityContext& ctx, const std::vector<std::string>& session_ids) {
  std::int64_t until = ctx.now() + ctx.config.tokens.access.lifetime.count() + ctx.config.tokens.agent.lifetime.count() +
                       ctx.config.tokens.leeway.count();
  for (const auto& id : session_ids) ctx.tokens.revocations().revoke(tokens::RevocationSubject::kSession, id, until);
}

tokens::IssuedToken issue_access_token(IdentityContext& ctx, const store::UserRecord& user,
                                       const std::string& session_id) {
  boost::json::object claims{{"sub", user.id},
                             {"email", user.email},
                             {"roles", strings(user.roles)},
                             {"permissions", strings(user.permissions)},
                             {"agent_capabilities", ctx.runnable_agent_types
                                                        ? strings(ctx.runnable_agent_types(user.roles))
                                                        : boost::json::array{}},
                             {"session_id", session_id}};
  return ctx.tokens.issue(tokens::TokenKind::kAccess, std::move(claims), ctx.config.tokens.access.lifetime);
}

// The work is a named std::function, never a temporary inside the co_await expression:
// GCC 12 destroys such temporaries twice (a double free with by-value captures).
boost::asio::awaitable<std::optional<std::string>> hash_password(IdentityContext& ctx, const std::string& password) {
  std::function<std::string()> work = [&ctx, &password] { return ctx.hasher.hash(password); };
  auto result = co_await ctx.pool.run<std::string>(std::move(work));
  co_return result;
}

boost::asio::awaitable<std::optional<VerifyResult>> verify_password(IdentityContext& ctx, const std::string& password,
                                                                    const std::string* stored) {
  std::function<VerifyResult()> work = [&ctx, &password, stored] {
    if (!stored) {
      ctx.hasher.verify_dummy(password);
      return VerifyResult{false, false};
    }
    return ctx.hasher.verify(password, *stored);
  };
  auto result = co_await ctx.pool.run<VerifyResult>(std::move(work));
  co_return result;
}

}  // namespace archon::identity
