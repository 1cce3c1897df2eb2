#include "apikeys/api_key_format.hpp"

#include <set>

#include <gtest/gtest.h>

namespace archon::apikeys {

TEST(ApiKeyFormat, Crc32MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);  // the CRC-32/ISO-HDLC check value
}

TEST(ApiKeyFormat, Base62IsFixedWidthAndOrdered) {
  EXPECT_EQ(base62_fixed(0, 6), "000000");
  EXPECT_EQ(base62_fixed(61, 6), "00000z");
  EXPECT_EQ(base62_fixed(62, 6), "000010");
  EXPECT_EQ(base62_fixed(0xFFFFFFFFu, 6), "4gfFC3");
}

TEST(ApiKeyFormat, GeneratedKeysAreWellFormedAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto key = generate_api_key();
    EXPECT_EQ(key.size(), kKeyLength);
    EXPECT_EQ(key.rfind("archon_sk_", 0), 0u);
    EXPECT_TRUE(is_well_formed_api_key(key)) << key;
    seen.insert(key);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(ApiKeyFormat, RefusesAnyChangedCharacterAndWrongShapes) {
  auto key = generate_api_key();
  for (std::size_t i = kKeyPrefix.size(); i < key.size(); ++i) {
    auto changed = key;
    changed[i] = changed[i] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(is_well_formed_api_key(changed)) << i;
  }
  EXPECT_FALSE(is_well_formed_api_key(""));
  EXPECT_FALSE(is_well_formed_api_key(key.substr(0, key.size() - 1)));
  EXPECT_FALSE(is_well_formed_api_key(key + "0"));
  EXPECT_FALSE(is_well_formed_api_key("archon_pk_" + key.substr(kKeyPrefix.size())));
  auto with_symbol = key;
  with_symbol[12] = '-';
  EXPECT_FALSE(is_well_formed_api_key(with_symbol));
}

}  // namespace archon::apikeys
