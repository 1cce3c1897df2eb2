#include "http/api_version.hpp"

#include <gtest/gtest.h>

namespace archon::http {
namespace {

Request with_headers(std::initializer_list<std::pair<const char*, const char*>> headers) {
  Request r{Verb::get, "/", 11};
  for (auto& [k, v] : headers) r.set(k, v);
  return r;
}

TEST(ApiVersion, NonApiPathsPassThrough) {
  auto r = resolve_api_version("/health", with_headers({}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->path, "/health");
  EXPECT_FALSE(r->is_api);
  EXPECT_FALSE(resolve_api_version("/apis", with_headers({}))->is_api);
}

TEST(ApiVersion, UrlVersions) {
  EXPECT_EQ(resolve_api_version("/api/v2/users", with_headers({}))->path, "/api/v2/users");
  EXPECT_EQ(resolve_api_version("/api/v1/users", with_headers({})).error().code, ErrorCode::kApiVersionSunset);
  EXPECT_EQ(resolve_api_version("/api/v1", with_headers({})).error().code, ErrorCode::kApiVersionSunset);
  EXPECT_EQ(resolve_api_version("/api/v3/users", with_headers({})).error().code, ErrorCode::kApiVersionUnsupported);
  // The URL wins over a header.
  EXPECT_TRUE(resolve_api_version("/api/v2/users", with_headers({{"Accept-Version", "1.0"}})).has_value());
}

TEST(ApiVersion, HeaderVersions) {
  EXPECT_EQ(resolve_api_version("/api/users", with_headers({{"Accept-Version", "2.0"}}))->path, "/api/v2/users");
  EXPECT_EQ(resolve_api_version("/api/users", with_headers({{"API-Version", "2"}}))->path, "/api/v2/users");
  EXPECT_EQ(resolve_api_version("/api/users", with_headers({}))->path, "/api/v2/users");
  EXPECT_EQ(resolve_api_version("/api/users", with_headers({{"Accept-Version", "1.0"}})).error().code,
            ErrorCode::kApiVersionSunset);
  EXPECT_EQ(resolve_api_version("/api/users", with_headers({{"Accept-Version", "3.0"}})).error().code,
            ErrorCode::kApiVersionUnsupported);
  EXPECT_EQ(resolve_api_version("/api/users", with_headers({{"Accept-Version", "2.0"}, {"API-Version", "1.0"}}))
                .error()
                .code,
            ErrorCode::kApiVersionUnsupported);
}

}  // namespace
}  // namespace archon::http
