#include "identity/argon2id.hpp"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/mman.h>

#include <array>
#include <stdexcept>
#include <vector>

#include "crypto/random.hpp"

// The reference implementation's PHC encoder and parser (third_party/argon2/src/encoding.h).
// argon2_hash()/argon2_verify() would do the same but always allocate with malloc.
extern "C" {
int encode_string(char* dst, size_t dst_len, argon2_context* ctx, argon2_type type);
int decode_string(argon2_context* ctx, const char* str, argon2_type type);
const char* archon_argon2_fill_name(void);
}

namespace archon::identity::argon2id {
namespace {

constexpr std::size_t kSaltBytes = 16;  // libsodium's crypto_pwhash_SALTBYTES
constexpr std::size_t kTagBytes = 32;   // libsodium's crypto_pwhash_STRHASHBYTES
// A stored string longer than this is not one of ours or libsodium's: refuse before parsing.
constexpr std::size_t kMaxEncodedBytes = 512;
// Bounds on a stored string's cost, far above any sane setting: a hash imported with, say, 4
// billion passes would otherwise hold a hashing thread for hours. Beyond them it is malformed.
constexpr uint32_t kMaxStoredMemoryKib = 4u * 1024 * 1024;  // 4 GiB
constexpr uint32_t kMaxStoredIterations = 1024;
constexpr uint32_t kMaxStoredLanes = 64;

// The memory this thread hashed in last, kept for its next hash. Mapped directly (not malloc)
// so that releasing it returns it to the system whatever the allocator. One hash at a time per
// thread, so `in_use` only guards against a second region being asked for during a hash.
struct ThreadRegion {
  void* base = nullptr;
  std::size_t bytes = 0;
  bool in_use = false;

  void release() noexcept {
    if (base != nullptr) munmap(base, bytes);
    base = nullptr;
    bytes = 0;
  }
  ~ThreadRegion() { release(); }
};
thread_local ThreadRegion t_region;

void* map_bytes(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

// Argon2's allocator hooks. The library wipes the memory before handing it back (its
// clear_internal_memory), so a kept region holds no password-derived data between hashes.
int allocate_memory(uint8_t** memory, size_t bytes) {
  ThreadRegion& region = t_region;
  if (region.in_use) {  // not expected (one hash at a time); stay correct anyway
    *memory = static_cast<uint8_t*>(map_bytes(bytes));
    return *memory ? ARGON2_OK : ARGON2_MEMORY_ALLOCATION_ERROR;
  }
  if (region.base == nullptr || region.bytes < bytes) {
    region.release();
    region.base = map_bytes(bytes);
    if (region.base == nullptr) {
      *memory = nullptr;
      return ARGON2_MEMORY_ALLOCATION_ERROR;
    }
    region.bytes = bytes;
  }
  region.in_use = true;
  *memory = static_cast<uint8_t*>(region.base);
  return ARGON2_OK;
}

void free_memory(uint8_t* memory, size_t bytes) {
  ThreadRegion& region = t_region;
  if (memory == region.base) {
    region.in_use = false;
    return;
  }
  munmap(memory, bytes);
}

argon2_context base_context() {
  argon2_context ctx{};
  ctx.version = ARGON2_VERSION_13;
  ctx.allocate_cbk = allocate_memory;
  ctx.free_cbk = free_memory;
  ctx.flags = ARGON2_DEFAULT_FLAGS;
  return ctx;
}

// The reference reads (pointer, length); a default-constructed string_view has a null pointer.
uint8_t* bytes_of(std::string_view password) {
  static char empty = '\0';
  return reinterpret_cast<uint8_t*>(const_cast<char*>(password.empty() ? &empty : password.data()));
}

// A parsed PHC string: the context (cost, salt) and the stored tag, in buffers it points into.
struct Decoded {
  std::vector<uint8_t> salt;
  std::vector<uint8_t> tag;
  argon2_context ctx{};
};

std::optional<Decoded> decode(std::string_view encoded) {
  // The parser reads a C string: an embedded NUL would make it parse a prefix.
  if (encoded.size() > kMaxEncodedBytes || encoded.find('\0') != std::string_view::npos) return std::nullopt;
  if (!encoded.starts_with("$argon2id$")) return std::nullopt;
  const std::string text(encoded);
  Decoded d;
  d.salt.resize(text.size());
  d.tag.resize(text.size());
  d.ctx.salt = d.salt.data();
  d.ctx.saltlen = static_cast<uint32_t>(d.salt.size());
  d.ctx.out = d.tag.data();
  d.ctx.outlen = static_cast<uint32_t>(d.tag.size());
  if (decode_string(&d.ctx, text.c_str(), Argon2_id) != ARGON2_OK) return std::nullopt;
  if (d.ctx.version != ARGON2_VERSION_13) return std::nullopt;  // libsodium also reads only v=19
  if (d.ctx.m_cost > kMaxStoredMemoryKib || d.ctx.t_cost > kMaxStoredIterations || d.ctx.lanes > kMaxStoredLanes)
    return std::nullopt;
  d.tag.resize(d.ctx.outlen);
  d.salt.resize(d.ctx.saltlen);
  d.ctx.salt = d.salt.data();
  d.ctx.out = d.tag.data();
  return d;
}

}  // namespace

void check_cost(const Cost& cost) {
  if (cost.lanes < 1 || cost.lanes > ARGON2_MAX_LANES) throw std::invalid_argument("Argon2id lanes out of range");
  if (cost.iterations < ARGON2_MIN_TIME) throw std::invalid_argument("Argon2id needs at least one iteration");
  if (cost.memory_kib < 8 * cost.lanes || cost.memory_kib > ARGON2_MAX_MEMORY)
    throw std::invalid_argument("Argon2id memory must be at least 8 KiB per lane");
}

std::string hash(std::string_view password, const Cost& cost) {
  check_cost(cost);
  std::array<uint8_t, kSaltBytes> salt{};
  std::array<uint8_t, kTagBytes> tag{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("no randomness for an Argon2id salt");
  argon2_context ctx = base_context();
  ctx.pwd = bytes_of(password);
  ctx.pwdlen = static_cast<uint32_t>(password.size());
  ctx.salt = salt.data();
  ctx.saltlen = salt.size();
  ctx.out = tag.data();
  ctx.outlen = tag.size();
  ctx.t_cost = cost.iterations;
  ctx.m_cost = cost.memory_kib;
  ctx.lanes = cost.lanes;
  ctx.threads = cost.lanes;
  const int rc = argon2_ctx(&ctx, Argon2_id);
  if (rc != ARGON2_OK) {
    OPENSSL_cleanse(tag.data(), tag.size());
    throw std::runtime_error(std::string("Argon2id hashing failed: ") + argon2_error_message(rc));
  }
  std::array<char, 160> out{};
  const int encoded = encode_string(out.data(), out.size(), &ctx, Argon2_id);
  OPENSSL_cleanse(tag.data(), tag.size());
  if (encoded != ARGON2_OK) throw std::runtime_error("Argon2id encoding failed");
  return std::string(out.data());
}

bool verify(std::string_view password, std::string_view encoded) {
  if (password.size() > ARGON2_MAX_PWD_LENGTH) return false;
  auto decoded = decode(encoded);
  if (!decoded) return false;
  std::vector<uint8_t> computed(decoded->tag.size());
  argon2_context ctx = base_context();
  ctx.pwd = bytes_of(password);
  ctx.pwdlen = static_cast<uint32_t>(password.size());
  ctx.salt = decoded->salt.data();
  ctx.saltlen = static_cast<uint32_t>(decoded->salt.size());
  ctx.out = computed.data();
  ctx.outlen = static_cast<uint32_t>(computed.size());
  ctx.t_cost = decoded->ctx.t_cost;
  ctx.m_cost = decoded->ctx.m_cost;
  ctx.lanes = decoded->ctx.lanes;
  ctx.threads = decoded->ctx.lanes;
  auto bytes = [](const std::vector<uint8_t>& v) {
    return std::string_view(reinterpret_cast<const char*>(v.data()), v.size());
  };
  const bool ok =
      argon2_ctx(&ctx, Argon2_id) == ARGON2_OK && crypto::constant_time_equal(bytes(computed), bytes(decoded->tag));
  OPENSSL_cleanse(computed.data(), computed.size());
  return ok;
}

std::optional<Cost> cost_of(std::string_view encoded) {
  auto decoded = decode(encoded);
  if (!decoded) return std::nullopt;
  return Cost{.memory_kib = decoded->ctx.m_cost, .iterations = decoded->ctx.t_cost, .lanes = decoded->ctx.lanes};
}

void release_thread_memory() noexcept {
  if (!t_region.in_use) t_region.release();
}

std::size_t thread_memory_bytes() noexcept { return t_region.bytes; }

std::string_view implementation() noexcept { return archon_argon2_fill_name(); }

}  // namespace archon::identity::argon2id
