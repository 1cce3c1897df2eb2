#include "app/commands.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

#include <boost/json/value_from.hpp>
#include <openssl/rand.h>

#include "api/caller_auth.hpp"
#include "app/runtime.hpp"
#include "core/clock.hpp"
#include "core/json_writer.hpp"
#include "crypto/base64url.hpp"
#include "crypto/random.hpp"
#include "identity/account_service.hpp"
#include "identity/argon2id.hpp"
#include "identity/email_address.hpp"
#include "identity/password_hasher.hpp"
#include "identity/password_policy.hpp"
#include "identity/roles.hpp"

namespace archon::app {
namespace {

template <class Fn>
int guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    std::cerr << "archon-auth: " << e.what() << "\n";
    return 1;
  }
}

std::string random_b64(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return crypto::base64url_encode(raw);
}

std::string when(std::int64_t epoch) {
  return clock::iso8601_utc(std::chrono::system_clock::time_point(std::chrono::seconds(epoch)));
}

}  // namespace

int run_migrate(const Config& config) {
  return guarded([&] {
    auto rt = open_runtime(config);
    std::cout << "schema version " << rt->store->schema_version() << "\n";
    return 0;
  });
}

int run_keys_rotate(const Config& config, const std::string& kind_name, bool immediately) {
  return guarded([&] {
    auto kind = tokens::parse_kind(kind_name);
    if (!kind) throw std::runtime_error("--kind must be access or agent");
    auto rt = open_runtime(config);
    auto r = rt->keyring->rotate(*kind, immediately);
    std::cout << "created " << r.kind << " key " << r.kid << " (" << r.alg << "), published now, signing from "
              << when(r.activates_at) << "\n";
    return 0;
  });
}

int run_keys_list(const Config& config) {
  return guarded([&] {
    auto rt = open_runtime(config);
    auto snap = rt->keyring->snapshot();
    for (const auto& r : rt->token_store->list_signing_keys()) {
      auto it = snap->by_kid.find(r.kid);
      bool signing = (r.kind == "access" ? snap->access_signer : snap->agent_signer)->kid() == r.kid;
      std::cout << r.kid << "  " << r.kind << "  " << r.alg << "  activates " << when(r.activates_at)
                << (signing ? "  [signing]" : "")
                << (it != snap->by_kid.end() && it->second.published_until != INT64_MAX
                        ? "  [published until " + when(it->second.published_until) + "]"
                        : "")
                << "\n";
    }
    return 0;
  });
}

int run_clients_create(const Config& config, const std::string& name) {
  return guarded([&] {
    if (name.empty() || name.size() > 100) throw std::runtime_error("--name must be 1 to 100 characters");
    auto rt = open_runtime(config);
    std::string client_id = "svc_" + random_b64(12);
    std::string secret = random_b64(32);
    rt->token_store->insert_service_client(
        {client_id, name, api::hash_client_secret(secret), tokens::system_epoch_seconds(), std::nullopt});
    // The secret is shown once and stored only as its hash.
    std::cout << json::write(boost::json::object{{"client_id", client_id}, {"client_secret", secret}, {"name", name}})
              << "\n";
    return 0;
  });
}

int run_tokens_issue(const Config& config, const std::string& kind_name, const std::string& subject,
                     const std::vector<std::string>& roles, int ttl_seconds) {
  return guarded([&] {
    auto kind = tokens::parse_kind(kind_name);
    if (!kind) throw std::runtime_error("--kind must be access or agent");
    if (subject.empty()) throw std::runtime_error("--subject is required");
    auto rt = open_runtime(config);
    boost::json::array role_array;
    for (const auto& r : roles) role_array.push_back(boost::json::string(r));
    boost::json::object claims{{"sub", subject}};
    if (*kind == tokens::TokenKind::kAccess) claims["roles"] = std::move(role_array);
    auto issued = rt->token_service->issue(*kind, std::move(claims), std::chrono::seconds(ttl_seconds));
    std::cout << issued.token << "\n";
    return 0;
  });
}

int run_users_create(const Config& config, const std::string& raw_email, const std::string& name,
                     const std::string& role) {
  return guarded([&] {
    auto email = identity::parse_email(raw_email);
    if (!email) throw std::runtime_error("--email is not a valid address");
    if (auto p = identity::AccountService::check_name(name)) throw std::runtime_error("--name: " + *p);
    if (!identity::is_role(role))
      throw std::runtime_error("--role must be " + std::string(identity::kRoleList));
    std::string password;
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
    identity::PasswordPolicy policy;
    policy.min_chars = config.identity.password_min_chars;
    if (auto p = identity::check_password(password, policy)) throw std::runtime_error("password: " + *p);
    auto rt = open_runtime(config);
    identity::PasswordHasher hasher(
        identity::Argon2Params{config.identity.argon2_memory_kib * 1024, config.identity.argon2_iterations});
    // Hashed here, not on the server's pool: the CLI is its own process.
    store::UserRecord u = identity::AccountService::new_account(*email, name, hasher.hash(password), true,
                                                                tokens::system_epoch_seconds());
    std::fill(password.begin(), password.end(), '\0');
    std::vector<std::string> roles{"user"};
    if (role != "user") roles.push_back(role);
    if (!rt->identity_store->create_user(u, roles, std::nullopt, std::nullopt))
      throw std::runtime_error("a user with this email already exists");
    rt->audit->record({"cli", "local", "archon-auth users create"}, "admin_user_create", "success", "system", u.id,
                      {{"role", role}});
    std::cout << json::write(boost::json::object{{"user_id", u.id}, {"email", u.email}, {"roles", boost::json::value_from(roles)}})
              << "\n";
    return 0;
  });
}

int run_audit_verify(const Config& config) {
  return guarded([&] {
    auto rt = open_runtime(config);
    auto v = rt->audit->verify();
    if (!v.intact) {
      std::cout << "audit trail BROKEN at event " << v.first_broken_seq << " (" << v.events << " events checked)\n";
      return 1;
    }
    std::cout << "audit trail intact: " << v.events << " events\n";
    return 0;
  });
}

int run_passwords_benchmark(const Config& config, int runs) {
  return guarded([&] {
    const identity::PasswordHasher hasher(
        identity::Argon2Params{config.identity.argon2_memory_kib * 1024, config.identity.argon2_iterations});
    const std::string password = crypto::random_token(16);
    const std::string stored = hasher.hash(password);  // also maps this thread's memory, as a warm pool thread has
    auto rounded = [](double ms) { return std::round(ms * 100) / 100; };
    boost::json::array samples;
    std::vector<double> sorted;
    for (int i = 0; i < runs; ++i) {
      const auto start = std::chrono::steady_clock::now();
      const bool ok = hasher.verify(password, stored).ok;
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (!ok) throw std::runtime_error("a fresh hash did not verify");
      samples.push_back(rounded(ms));
      sorted.push_back(ms);
    }
    std::sort(sorted.begin(), sorted.end());
    const auto cost = identity::argon2id::cost_of(stored);
    std::cout << json::write(boost::json::object{
                     {"implementation", std::string(identity::argon2id::implementation())},
                     {"params", "m=" + std::to_string(cost->memory_kib) + ",t=" + std::to_string(cost->iterations) +
                                    ",p=" + std::to_string(cost->lanes)},
                     {"runs", runs},
                     {"median_ms", rounded(sorted[sorted.size() / 2])},
                     {"min_ms", rounded(sorted.front())},
                     {"max_ms", rounded(sorted.back())},
                     {"samples_ms", samples}})
              << "\n";
    return 0;
  });
}

}  // namespace archon::app
