#include "http/json_body.hpp"

#include <gtest/gtest.h>

namespace archon::http {
namespace {

Request json_request(std::string body, std::string content_type = "application/json") {
  Request req{Verb::post, "/x", 11};
  req.set(bhttp::field::content_type, content_type);
  req.body() = std::move(body);
  return req;
}

const BodySchema& schema() {
  static const BodySchema s{{
      {"email", FieldType::kString, true, {}, {}, 3, 254},
      {"name", FieldType::kString, false, {}, {}, 1, 100},
      {"limit", FieldType::kInteger, false, 1, 100},
      {"remember_me", FieldType::kBoolean},
      {"preferences", FieldType::kObject, false, {}, {}, {}, {}, 64},
  }};
  return s;
}

ErrorCode code_of(const Request& req) {
  auto r = read_json_body(req, &schema());
  EXPECT_FALSE(r.has_value());
  return r ? ErrorCode::kSystemInternalError : r.error().code;
}

TEST(JsonBody, ContentTypeMustBeJson) {
  EXPECT_TRUE(is_json_content_type("application/json"));
  EXPECT_TRUE(is_json_content_type("Application/JSON; charset=UTF-8"));
  EXPECT_FALSE(is_json_content_type("application/json; charset=latin1"));
  EXPECT_FALSE(is_json_content_type("text/plain"));
  EXPECT_FALSE(is_json_content_type("application/jsonp"));
  EXPECT_FALSE(is_json_content_type("application/x-www-form-urlencoded"));
  EXPECT_EQ(code_of(json_request(R"({"email":"a@b.c"})", "text/plain")), ErrorCode::kValidationUnsupportedMediaType);
  Request no_type{Verb::post, "/x", 11};
  no_type.body() = R"({"email":"a@b.c"})";
  EXPECT_EQ(code_of(no_type), ErrorCode::kValidationUnsupportedMediaType);
}

TEST(JsonBody, MalformedBodies) {
  EXPECT_EQ(code_of(json_request("{")), ErrorCode::kValidationMalformedJson);
  EXPECT_EQ(code_of(json_request("[]")), ErrorCode::kValidationMalformedJson);
  EXPECT_EQ(code_of(json_request(R"({"email":"a@b.c","email":"x@y.z"})")), ErrorCode::kValidationMalformedJson);
  EXPECT_EQ(code_of(json_request("{\"email\":\"\xff\"}")), ErrorCode::kValidationMalformedJson);
  std::string deep = R"({"preferences":)" + std::string(40, '[') + std::string(40, ']') + "}";
  EXPECT_EQ(code_of(json_request(deep)), ErrorCode::kValidationMalformedJson);
}

TEST(JsonBody, FieldProblemsAreNamedInDetails) {
  auto r = read_json_body(json_request(R"({"role":"admin","is_active":true,"limit":"x"})"), &schema());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kValidationUnknownField);  // the most fundamental problem wins
  EXPECT_TRUE(r.error().details.contains("role"));
  EXPECT_TRUE(r.error().details.contains("is_active"));
  EXPECT_TRUE(r.error().details.contains("email"));  // required, also named
  EXPECT_TRUE(r.error().details.contains("limit"));  // wrong type, also named

  EXPECT_EQ(code_of(json_request(R"({})")), ErrorCode::kValidationRequiredField);
  EXPECT_EQ(code_of(json_request(R"({"email":5})")), ErrorCode::kValidationInvalidFormat);
  EXPECT_EQ(code_of(json_request(R"({"email":"a@b.c","remember_me":"yes"})")), ErrorCode::kValidationInvalidFormat);
  EXPECT_EQ(code_of(json_request(R"({"email":"a@b.c","limit":1.5})")), ErrorCode::kValidationInvalidFormat);
  EXPECT_EQ(code_of(json_request(R"({"email":"a@b.c","limit":101})")), ErrorCode::kValidationConstraintViolation);
  EXPECT_EQ(code_of(json_request(R"({"email":"a@b.c","limit":99999999999999999999})")),
            ErrorCode::kValidationInvalidFormat);  // beyond 64-bit: a double, not an integer
  EXPECT_EQ(code_of(json_request(R"({"email":"a@b.c","name":""})")), ErrorCode::kValidationConstraintViolation);
  EXPECT_EQ(code_of(json_request(R"({"email":"a@b.c","preferences":{"k":")" + std::string(80, 'v') + "\"}}")),
            ErrorCode::kValidationConstraintViolation);
  EXPECT_EQ(error_http_status(ErrorCode::kValidationConstraintViolation), 422u);
}

TEST(JsonBody, LengthsCountCodePointsNotBytes) {
  // 100 two-byte characters is 100 characters, within max_length 100.
  std::string name;
  for (int i = 0; i < 100; ++i) name += "\xc3\xa9";
  auto r = read_json_body(json_request(R"({"email":"a@b.c","name":")" + name + "\"}"), &schema());
  EXPECT_TRUE(r.has_value());
}

TEST(JsonBody, ValidBodyPasses) {
  auto r = read_json_body(json_request(R"({"email":"a@b.c","limit":5,"remember_me":false,"name":null})"), &schema());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->at("limit").as_int64(), 5);
}

}  // namespace
}  // namespace archon::http
