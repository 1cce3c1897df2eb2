#include "crypto/key_encryption_key.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

namespace archon::crypto {
namespace {

std::filesystem::path temp_path() {
  std::random_device rd;
  return std::filesystem::temp_directory_path() / ("archon-kek-" + std::to_string(rd()) + std::to_string(rd()));
}

TEST(KeyEncryptionKey, SealsAndOpensBoundToAssociatedData) {
  std::array<unsigned char, 32> bytes{};
  bytes.fill(3);
  auto kek = KeyEncryptionKey::from_bytes(bytes);
  std::string sealed = kek.seal("private key", "row-1");
  EXPECT_EQ(sealed.find("private key"), std::string::npos);
  EXPECT_EQ(*kek.open(sealed, "row-1"), "private key");
  EXPECT_FALSE(kek.open(sealed, "row-2").has_value());
  std::string tampered = sealed;
  tampered.back() ^= 1;
  EXPECT_FALSE(kek.open(tampered, "row-1").has_value());
  EXPECT_FALSE(kek.open("short", "row-1").has_value());
  EXPECT_NE(kek.seal("x", "a"), kek.seal("x", "a")) << "fresh nonce each time";
}

TEST(KeyEncryptionKey, FileIsCreated0600AndReadBack) {
  auto path = temp_path();
  std::string sealed;
  {
    auto kek = KeyEncryptionKey::load_or_create(path.string(), nullptr);
    sealed = kek.seal("secret", "ad");
  }
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = KeyEncryptionKey::load_or_create(path.string(), nullptr);
  EXPECT_EQ(*again.open(sealed, "ad"), "secret");
  ::chmod(path.c_str(), 0644);
  EXPECT_THROW(KeyEncryptionKey::load_or_create(path.string(), nullptr), std::runtime_error);
  std::filesystem::remove(path);
}

TEST(KeyEncryptionKey, EnvironmentWinsAndIsValidated) {
  auto path = temp_path();
  auto kek = KeyEncryptionKey::load_or_create(path.string(), "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM");
  EXPECT_FALSE(std::filesystem::exists(path)) << "no file when the environment gives the key";
  std::array<unsigned char, 32> bytes{};
  bytes.fill(3);
  auto same = KeyEncryptionKey::from_bytes(bytes);
  EXPECT_EQ(*same.open(kek.seal("x", "a"), "a"), "x");
  EXPECT_THROW(KeyEncryptionKey::load_or_create(path.string(), "too-short"), std::runtime_error);
}

}  // namespace
}  // namespace archon::crypto
