#include "core/strict_json.hpp"

#include <gtest/gtest.h>

namespace archon::json {
namespace {

StrictJsonError error_of(std::string_view text, std::size_t depth = kDefaultMaxDepth) {
  auto r = parse_strict(text, depth);
  EXPECT_FALSE(r.has_value()) << text;
  return r ? StrictJsonError::kSyntax : r.error();
}

TEST(StrictJson, AcceptsOrdinaryDocuments) {
  auto r = parse_strict(R"({"a":1,"b":[true,null,"x"],"c":{"a":2}})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->at("c").at("a").as_int64(), 2);
}

TEST(StrictJson, RejectsDuplicateKeysAtAnyDepth) {
  EXPECT_EQ(error_of(R"({"a":1,"a":2})"), StrictJsonError::kDuplicateKey);
  EXPECT_EQ(error_of(R"({"x":{"k":1,"k":1}})"), StrictJsonError::kDuplicateKey);
  // The same key in sibling objects is fine.
  EXPECT_TRUE(parse_strict(R"([{"k":1},{"k":2}])").has_value());
}

TEST(StrictJson, RejectsEscapedDuplicateKeys) {
  // "\u0061" is "a": a parser comparing raw bytes would miss this.
  EXPECT_EQ(error_of(R"({"a":1,"\u0061":2})"), StrictJsonError::kDuplicateKey);
}

TEST(StrictJson, EnforcesDepth) {
  std::string deep32(32, '['), deep33(33, '[');
  deep32 += std::string(32, ']');
  deep33 += std::string(33, ']');
  EXPECT_TRUE(parse_strict(deep32).has_value());
  EXPECT_EQ(error_of(deep33), StrictJsonError::kTooDeep);
}

TEST(StrictJson, RejectsInvalidUtf8AndSurrogates) {
  EXPECT_EQ(error_of("{\"a\":\"\xff\"}"), StrictJsonError::kInvalidUtf8);
  EXPECT_EQ(error_of("{\"a\":\"\xc0\xaf\"}"), StrictJsonError::kInvalidUtf8);      // overlong '/'
  EXPECT_EQ(error_of("{\"a\":\"\xed\xa0\x80\"}"), StrictJsonError::kInvalidUtf8);  // encoded surrogate
  EXPECT_TRUE(parse_strict("{\"a\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}").has_value());
}

TEST(StrictJson, RejectsOutOfRangeNumbersAndSyntax) {
  EXPECT_EQ(error_of("1e400"), StrictJsonError::kNumberRange);
  EXPECT_EQ(error_of("{} x"), StrictJsonError::kSyntax);
  EXPECT_EQ(error_of(""), StrictJsonError::kSyntax);
  EXPECT_EQ(error_of("{'a':1}"), StrictJsonError::kSyntax);
  EXPECT_EQ(error_of("[1,]"), StrictJsonError::kSyntax);
  EXPECT_EQ(error_of("// c\n{}"), StrictJsonError::kSyntax);
}

}  // namespace
}  // namespace archon::json
