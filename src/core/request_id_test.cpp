#include "core/request_id.hpp"

#include <gtest/gtest.h>

#include "core/errors.hpp"

namespace archon {
namespace {

TEST(RequestId, AcceptsOnlySafeIds) {
  EXPECT_TRUE(is_acceptable_request_id("abc-123_X.y"));
  EXPECT_TRUE(is_acceptable_request_id(std::string(64, 'a')));
  EXPECT_FALSE(is_acceptable_request_id(std::string(65, 'a')));
  EXPECT_FALSE(is_acceptable_request_id(""));
  EXPECT_FALSE(is_acceptable_request_id("a b"));
  EXPECT_FALSE(is_acceptable_request_id("<script>"));
  EXPECT_FALSE(is_acceptable_request_id("caf\xc3\xa9"));
  EXPECT_FALSE(is_acceptable_request_id("a\r\nX-Evil: 1"));
}

TEST(RequestId, GeneratedIdsAreWellFormedAndDistinct) {
  auto a = generate_request_id(), b = generate_request_id();
  EXPECT_EQ(a.size(), 28u);
  EXPECT_EQ(a.rfind("req_", 0), 0u);
  EXPECT_TRUE(is_acceptable_request_id(a));
  EXPECT_NE(a, b);
}

TEST(Errors, CodesMapToStatusAndDocs) {
  EXPECT_EQ(error_code_name(ErrorCode::kRateLimitExceeded), "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(error_http_status(ErrorCode::kRequestBodyTooLarge), 413u);
  EXPECT_EQ(error_http_status(ErrorCode::kValidationConstraintViolation), 422u);
  EXPECT_EQ(error_documentation_url(ErrorCode::kValidationRequiredField),
            "https://docs.archon.ai/errors/validation-required-field");
}

}  // namespace
}  // namespace archon
