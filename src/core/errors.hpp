// The error taxonomy every client sees: the spec's CATEGORY_SPECIFIC codes, extended where the
// HTTP layer needs its own, each bound to one HTTP status and a safe default message.
#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace archon {

#define ARCHON_ERROR_CODES(X)                                                                   \
  X(kHttpBadRequest, "HTTP_BAD_REQUEST", 400, "The request is not valid HTTP")                  \
  X(kResourceNotFound, "RESOURCE_NOT_FOUND", 404, "No resource at this path")                   \
  X(kHttpMethodNotAllowed, "HTTP_METHOD_NOT_ALLOWED", 405, "Method not allowed for this path")  \
  X(kHttpRequestTimeout, "HTTP_REQUEST_TIMEOUT", 408, "The request was not received in time")   \
  X(kApiVersionSunset, "API_VERSION_SUNSET", 410, "API version 1 was retired on 2025-12-31")    \
  X(kApiVersionUnsupported, "API_VERSION_UNSUPPORTED", 400, "Unsupported API version")          \
  X(kRequestBodyTooLarge, "REQUEST_BODY_TOO_LARGE", 413, "The request body is too large")       \
  X(kRequestHeadersTooLarge, "REQUEST_HEADERS_TOO_LARGE", 431, "The request headers are too large") \
  X(kValidationUnsupportedMediaType, "VALIDATION_UNSUPPORTED_MEDIA_TYPE", 415,                 \
    "Content-Type must be application/json")                                                    \
  X(kValidationMalformedJson, "VALIDATION_MALFORMED_JSON", 400, "The body is not acceptable JSON") \
  X(kValidationUnknownField, "VALIDATION_UNKNOWN_FIELD", 400, "The body has fields this endpoint does not accept") \
  X(kValidationRequiredField, "VALIDATION_REQUIRED_FIELD", 400, "Required fields are missing")  \
  X(kValidationInvalidFormat, "VALIDATION_INVALID_FORMAT", 400, "Fields have an invalid type or format") \
  X(kValidationConstraintViolation, "VALIDATION_CONSTRAINT_VIOLATION", 422, "Fields violate constraints") \
  X(kCorsOriginNotAllowed, "CORS_ORIGIN_NOT_ALLOWED", 403, "This origin may not call the API")  \
  X(kAuthInvalidCredentials, "AUTH_INVALID_CREDENTIALS", 401, "Invalid email or password")      \
  X(kAuthTokenInvalid, "AUTH_TOKEN_INVALID", 401, "Invalid or expired token")                   \
  X(kAuthTokenExpired, "AUTH_TOKEN_EXPIRED", 401, "The token has expired")                      \
  X(kAuthInsufficientPermissions, "AUTH_INSUFFICIENT_PERMISSIONS", 403, "Insufficient permissions") \
  X(kAuthAccountLocked, "AUTH_ACCOUNT_LOCKED", 401, "Too many failed attempts; try again later")   \
  X(kAuthRefreshTokenReused, "AUTH_REFRESH_TOKEN_REUSED", 401,                                  \
    "This refresh token was already used; the session has been signed out")                    \
  X(kAuthOriginNotAllowed, "AUTH_ORIGIN_NOT_ALLOWED", 403, "Cookie requests must come from an allowed origin") \
  X(kAgentUnauthorized, "AGENT_UNAUTHORIZED", 403, "You may not run this agent type")             \
  X(kAgentTypeUnknown, "AGENT_TYPE_UNKNOWN", 400, "No such agent type")                          \
  X(kAgentDelegationRefused, "AGENT_DELEGATION_REFUSED", 403, "The delegation asks for more than the parent holds") \
  X(kUserNotFound, "USER_NOT_FOUND", 404, "User not found")                                     \
  X(kUserAlreadyExists, "USER_ALREADY_EXISTS", 409, "User with this email already exists")      \
  X(kUserEmailNotVerified, "USER_EMAIL_NOT_VERIFIED", 403, "The email address is not verified") \
  X(kUserLastAdmin, "USER_LAST_ADMIN", 409, "The last active administrator cannot be removed") \
  X(kRateLimitExceeded, "RATE_LIMIT_EXCEEDED", 429, "Rate limit exceeded for this endpoint")    \
  X(kRateLimitIpBlocked, "RATE_LIMIT_IP_BLOCKED", 429, "This address is temporarily blocked")   \
  X(kSystemDatabaseError, "SYSTEM_DATABASE_ERROR", 503, "The database is unavailable")          \
  X(kSystemServiceUnavailable, "SYSTEM_SERVICE_UNAVAILABLE", 503, "The service is unavailable") \
  X(kSystemTimeout, "SYSTEM_TIMEOUT", 504, "The operation timed out")                           \
  X(kSystemInternalError, "SYSTEM_INTERNAL_ERROR", 500, "Internal error")

enum class ErrorCode {
#define ARCHON_X(name, str, status, msg) name,
  ARCHON_ERROR_CODES(ARCHON_X)
#undef ARCHON_X
};

std::string_view error_code_name(ErrorCode code) noexcept;
unsigned error_http_status(ErrorCode code) noexcept;
std::string_view error_default_message(ErrorCode code) noexcept;
// https://docs.archon.ai/errors/<code in kebab-case>
std::string error_documentation_url(ErrorCode code);

// An error on its way to a client. `message` and `details` must never carry internals
// (no SQL, paths, stack traces, or echoed secrets).
struct ApiError {
  ErrorCode code;
  std::string message;
  boost::json::object details;
  // Rarely needed: the same code under another status (a bad emailed token is the request's
  // fault, 400, not a failed authentication, 401).
  std::optional<unsigned> status = std::nullopt;

  unsigned http_status() const { return status.value_or(error_http_status(code)); }

  static ApiError make(ErrorCode code, boost::json::object details = {});
  static ApiError make(ErrorCode code, std::string message, boost::json::object details = {});
};

// A dependency (the database, say) could not be reached or did not answer in time: the operation
// did not happen, or its outcome is unknown, and it may succeed later. Infrastructure throws a
// subclass (store::StoreUnavailable); the HTTP layer answers 503 SYSTEM_DATABASE_ERROR without
// knowing which layer threw it.
struct TransientFailure : std::runtime_error {
  using runtime_error::runtime_error;
};

}  // namespace archon
