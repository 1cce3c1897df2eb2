#include "app/runtime.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

namespace archon::app {
namespace {

void prepare_data_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  bool created = fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create data directory " + dir + ": " + ec.message());
  if (created) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
}

}  // namespace

std::unique_ptr<Runtime> open_runtime(const Config& config) {
  // Everything the server writes (database, KEK, mail) is for its own user only.
  ::umask(077);
  auto rt = std::make_unique<Runtime>();
  rt->config = config;
  prepare_data_dir(config.data_dir);
  rt->store = store::open_store(config.store, config.data_dir);
  rt->store->migrate();
  rt->token_store = &rt->store->tokens();
  rt->identity_store = &rt->store->identity();
  rt->mail_outbox = &rt->store->mail_outbox();
  rt->agent_store = &rt->store->agents();
  rt->kek = std::make_unique<crypto::KeyEncryptionKey>(
      crypto::KeyEncryptionKey::load_or_create(config.data_dir + "/kek", std::getenv("ARCHON_AUTH_KEK")));
  rt->keyring = std::make_unique<tokens::Keyring>(*rt->token_store, *rt->kek, config.tokens);
  rt->keyring->refresh();
  rt->revocations = std::make_unique<tokens::RevocationList>(*rt->token_store);
  rt->revocations->load();
  rt->token_service = std::make_unique<tokens::TokenService>(*rt->keyring, *rt->revocations, rt->config.tokens);
  rt->audit = std::make_unique<audit::AuditLog>(*rt->identity_store);
  return rt;
}

}  // namespace archon::app
