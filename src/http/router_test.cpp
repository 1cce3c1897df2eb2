#include "http/router.hpp"

#include <gtest/gtest.h>

namespace archon::http {
namespace {

Handler noop() {
  return [](Exchange&) -> boost::asio::awaitable<void> { co_return; };
}

TEST(Router, LiteralBeatsParameterAndParamsAreCaptured) {
  Router r;
  r.add(Verb::get, "/api/v2/users/{id}", noop());
  r.add(Verb::get, "/api/v2/users/me", noop());
  r.add(Verb::delete_, "/api/v2/users/me/sessions/{session_id}", noop());

  auto me = r.match(Verb::get, "/api/v2/users/me");
  ASSERT_NE(me.route, nullptr);
  EXPECT_EQ(me.route->path_template, "/api/v2/users/me");

  auto id = r.match(Verb::get, "/api/v2/users/42");
  ASSERT_NE(id.route, nullptr);
  EXPECT_EQ(id.route->path_template, "/api/v2/users/{id}");
  ASSERT_EQ(id.params.size(), 1u);
  EXPECT_EQ(id.params[0].first, "id");
  EXPECT_EQ(id.params[0].second, "42");
}

TEST(Router, MethodMismatchReportsAllowedMethods) {
  Router r;
  r.add(Verb::get, "/health", noop());
  auto m = r.match(Verb::post, "/health");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_exists);
  EXPECT_EQ(Router::allow_header(m.allowed), "GET, HEAD, OPTIONS");
}

TEST(Router, HeadUsesGetAndNothingElseMatchesLoosely) {
  Router r;
  r.add(Verb::get, "/health", noop());
  r.add(Verb::get, "/a/{x}", noop());
  EXPECT_NE(r.match(Verb::head, "/health").route, nullptr);
  EXPECT_FALSE(r.match(Verb::get, "/health/").path_exists);  // no trailing-slash folding
  EXPECT_FALSE(r.match(Verb::get, "/a/").path_exists);       // empty parameter
  EXPECT_FALSE(r.match(Verb::get, "/a/b/c").path_exists);
  EXPECT_FALSE(r.match(Verb::get, "health").path_exists);
  EXPECT_FALSE(r.match(Verb::get, "").path_exists);
}

TEST(Router, TheMostLiteralTemplateOwnsThePathAndItsMethods) {
  Router r;
  r.add(Verb::get, "/users/me", noop());
  r.add(Verb::put, "/users/me", noop());
  r.add(Verb::get, "/users/{id}", noop());
  r.add(Verb::patch, "/users/{id}", noop());
  r.add(Verb::delete_, "/users/{id}", noop());
  auto me = r.match(Verb::patch, "/users/me");
  EXPECT_EQ(me.route, nullptr) << "PATCH /users/me is not PATCH /users/{id} with id 'me'";
  EXPECT_TRUE(me.path_exists);
  EXPECT_EQ(me.path_template, "/users/me");
  EXPECT_EQ(Router::allow_header(me.allowed), "GET, PUT, HEAD, OPTIONS");
  auto other = r.match(Verb::delete_, "/users/u1");
  ASSERT_NE(other.route, nullptr);
  EXPECT_EQ(other.route->path_template, "/users/{id}");
  EXPECT_EQ(Router::allow_header(other.allowed), "GET, PATCH, DELETE, HEAD, OPTIONS");
}

TEST(Router, DescribeListsEveryRoute) {
  Router r;
  r.add(Verb::get, "/health", noop());
  r.add(Verb::post, "/api/v2/auth/login", noop());
  auto d = r.describe();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1].at("method").as_string(), "POST");
  EXPECT_EQ(d[1].at("path").as_string(), "/api/v2/auth/login");
}

TEST(Router, WritesCommitByDefaultUnlessTheRouteSaysOtherwise) {
  Router r;
  r.add(Verb::get, "/a", noop());
  r.add(Verb::post, "/b", noop());
  r.add(Verb::delete_, "/c", noop());
  r.add(Verb::post, "/d", noop(), RouteOptions{.commits = false});
  r.add(Verb::get, "/e", noop(), RouteOptions{.commits = true});
  auto commits = [&](Verb m, std::string_view path) { return r.match(m, path).route->options.commits.value(); };
  EXPECT_FALSE(commits(Verb::get, "/a"));
  EXPECT_TRUE(commits(Verb::post, "/b"));
  EXPECT_TRUE(commits(Verb::delete_, "/c"));
  EXPECT_FALSE(commits(Verb::post, "/d"));
  EXPECT_TRUE(commits(Verb::get, "/e"));
}

}  // namespace
}  // namespace archon::http
