package archonauth

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Code is an error code of the API's taxonomy. A Code is itself an error, so a caller can write
// errors.Is(err, archonauth.CodeAuthInvalidCredentials) for any error returned by this package.
type Code string

func (c Code) Error() string { return string(c) }

// The error codes the server answers (docs/http-conventions.md, openapi/openapi.yaml), plus
// CodeNetwork for a request that got no HTTP answer.
const (
	CodeHTTPBadRequest                Code = "HTTP_BAD_REQUEST"
	CodeHTTPMethodNotAllowed          Code = "HTTP_METHOD_NOT_ALLOWED"
	CodeHTTPRequestTimeout            Code = "HTTP_REQUEST_TIMEOUT"
	CodeResourceNotFound              Code = "RESOURCE_NOT_FOUND"
	CodeAPIVersionSunset              Code = "API_VERSION_SUNSET"
	CodeAPIVersionUnsupported         Code = "API_VERSION_UNSUPPORTED"
	CodeRequestBodyTooLarge           Code = "REQUEST_BODY_TOO_LARGE"
	CodeRequestHeadersTooLarge        Code = "REQUEST_HEADERS_TOO_LARGE"
	CodeValidationUnsupportedMedia    Code = "VALIDATION_UNSUPPORTED_MEDIA_TYPE"
	CodeValidationMalformedJSON       Code = "VALIDATION_MALFORMED_JSON"
	CodeValidationUnknownField        Code = "VALIDATION_UNKNOWN_FIELD"
	CodeValidationRequiredField       Code = "VALIDATION_REQUIRED_FIELD"
	CodeValidationInvalidFormat       Code = "VALIDATION_INVALID_FORMAT"
	CodeValidationConstraintViolation Code = "VALIDATION_CONSTRAINT_VIOLATION"
	CodeCORSOriginNotAllowed          Code = "CORS_ORIGIN_NOT_ALLOWED"
	CodeAuthInvalidCredentials        Code = "AUTH_INVALID_CREDENTIALS"
	CodeAuthAccountLocked             Code = "AUTH_ACCOUNT_LOCKED"
	CodeAuthTokenInvalid              Code = "AUTH_TOKEN_INVALID"
	CodeAuthTokenExpired              Code = "AUTH_TOKEN_EXPIRED"
	CodeAuthRefreshTokenReused        Code = "AUTH_REFRESH_TOKEN_REUSED"
	CodeAuthOriginNotAllowed          Code = "AUTH_ORIGIN_NOT_ALLOWED"
	CodeAuthInsufficientPermissions   Code = "AUTH_INSUFFICIENT_PERMISSIONS"
	CodeUserAlreadyExists             Code = "USER_ALREADY_EXISTS"
	CodeUserEmailNotVerified          Code = "USER_EMAIL_NOT_VERIFIED"
	CodeUserNotFound                  Code = "USER_NOT_FOUND"
	CodeAgentTypeUnknown              Code = "AGENT_TYPE_UNKNOWN"
	CodeAgentUnauthorized             Code = "AGENT_UNAUTHORIZED"
	CodeAgentDelegationRefused        Code = "AGENT_DELEGATION_REFUSED"
	CodeRateLimitExceeded             Code = "RATE_LIMIT_EXCEEDED"
	CodeRateLimitIPBlocked            Code = "RATE_LIMIT_IP_BLOCKED"
	CodeSystemServiceUnavailable      Code = "SYSTEM_SERVICE_UNAVAILABLE"
	CodeSystemDatabaseError           Code = "SYSTEM_DATABASE_ERROR"
	CodeSystemTimeout                 Code = "SYSTEM_TIMEOUT"
	CodeSystemInternalError           Code = "SYSTEM_INTERNAL_ERROR"

	// CodeNetwork: no HTTP answer (connection refused, reset, timeout). The cause is wrapped.
	CodeNetwork Code = "NETWORK_ERROR"
	// CodeInvalidResponse: an answer that is not the API's envelope.
	CodeInvalidResponse Code = "INVALID_RESPONSE"
)

// Error is an API error: the envelope's error object with the HTTP status and Retry-After.
//
//	var apiErr *archonauth.Error
//	if errors.As(err, &apiErr) && apiErr.Code == archonauth.CodeAuthAccountLocked { ... apiErr.RetryAfter ... }
//	if errors.Is(err, archonauth.CodeAuthInvalidCredentials) { ... }
type Error struct {
	Status           int            // HTTP status; 0 for CodeNetwork
	Code             Code           // the envelope's error.code
	Message          string         // human-readable, from the server
	Details          map[string]any // always non-nil
	TraceID          string         // equals the request id; quote it when reporting a problem
	DocumentationURL string
	RetryAfter       time.Duration // from Retry-After (or details.retry_after_seconds); 0 when absent
	cause            error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("archon-auth: %s", e.Code)
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	if e.TraceID != "" {
		msg += " [trace " + e.TraceID + "]"
	}
	return msg
}

// Is matches a Code (errors.Is(err, CodeAuthTokenInvalid)) or another *Error with the same code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Code:
		return e.Code == t
	case *Error:
		return t != nil && e.Code == t.Code
	}
	return false
}

// Unwrap gives the transport error of a CodeNetwork error.
func (e *Error) Unwrap() error { return e.cause }

// Temporary reports whether the same request may succeed later (rate limits, unavailability).
func (e *Error) Temporary() bool {
	return e.Status == 429 || e.Status == 503 || e.Code == CodeNetwork
}

func networkError(err error) *Error {
	return &Error{Code: CodeNetwork, Message: "no answer from archon-auth", Details: map[string]any{}, cause: err}
}

// parseRetryAfter reads delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := time.Parse(time.RFC1123, v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// IsCode reports whether err is an *Error with one of the codes.
func IsCode(err error, codes ...Code) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}
