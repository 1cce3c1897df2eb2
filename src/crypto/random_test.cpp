#include "crypto/random.hpp"

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "crypto/base64url.hpp"

namespace archon::crypto {
namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// FIPS 180-2 vectors, each computed twice in a row and on a second thread: the digest context
// is reused per thread, so nothing of one input may leak into the next.
TEST(Sha256, MatchesTheStandardVectorsOnReuseAndAcrossThreads) {
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  const std::string empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  const std::string two_blocks = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(hex(sha256("abc")), abc);
    EXPECT_EQ(hex(sha256("")), empty);
    EXPECT_EQ(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")), two_blocks);
  }
  std::string on_other_thread;
  std::thread([&] { on_other_thread = hex(sha256("abc")); }).join();
  EXPECT_EQ(on_other_thread, abc);
}

TEST(TimeOrderedId, IsSixteenBytesLeadingWithTheBigEndianMillis) {
  const std::int64_t millis = 0x0123456789ABLL;
  auto id = time_ordered_id(millis);
  ASSERT_EQ(id.size(), 22u);
  auto raw = base64url_decode(id);
  ASSERT_TRUE(raw.has_value());
  ASSERT_EQ(raw->size(), 16u);
  const unsigned char expected[6] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(static_cast<unsigned char>((*raw)[i]), expected[i]) << i;
}

TEST(TimeOrderedId, IdsOfTheSameMillisecondDifferInTheirRandomTail) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(time_ordered_id(1'790'000'000'000));
  EXPECT_EQ(seen.size(), 1000u);
  // 48 bits of time are exactly 8 base64url characters: they are shared, the rest is not.
  for (const auto& id : seen) EXPECT_EQ(id.substr(0, 8), seen.begin()->substr(0, 8));
}

TEST(TimeOrderedId, IdsMintedSecondsApartShareALongPrefix) {
  // Within ~4 s (2^12 ms) the first 6 characters agree: new keys land next to each other.
  auto a = time_ordered_id(1'790'000'000'000);
  auto b = time_ordered_id(1'790'000'000'000 + 1500);
  EXPECT_EQ(a.substr(0, 5), b.substr(0, 5));
  EXPECT_NE(a.substr(0, 8), b.substr(0, 8));
}

TEST(TimeOrderedId, NegativeTimeIsClampedToTheEpoch) {
  auto raw = base64url_decode(time_ordered_id(-5));
  ASSERT_TRUE(raw.has_value());
  for (int i = 0; i < 6; ++i) EXPECT_EQ((*raw)[i], '\0');
}

}  // namespace
}  // namespace archon::crypto
