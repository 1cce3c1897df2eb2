package archonauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

type authMode int

const (
	authNone    authMode = iota
	authUser             // the signed-in user's access token, refreshed on 401
	authBearer           // an explicit bearer (an agent token)
	authService          // HTTP Basic with the service client, else the user's access token
	authAPIKey           // X-API-Key alone: a user or service call made by a client that is not signed in
)

// call is one API request. path is relative to the API root, or to the origin when it starts with
// "/.well-known" or "/health".
type call struct {
	method string
	path   string
	query  url.Values
	body   any        // JSON-encoded when non-nil
	form   url.Values // form-encoded when non-nil
	auth   authMode
	bearer string
	raw    bool // the answer is plain JSON, not the envelope
}

func (k call) idempotent() bool {
	switch k.method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// Meta is the envelope's meta object.
type Meta struct {
	Timestamp   string         `json:"timestamp"`
	Version     string         `json:"version"`
	RequestID   string         `json:"request_id"`
	Performance *Performance   `json:"performance,omitempty"`
	RateLimit   *RateLimitMeta `json:"rate_limit,omitempty"`
	Pagination  *Pagination    `json:"pagination,omitempty"`
}

// Performance is meta.performance.
type Performance struct {
	ResponseTimeMS float64 `json:"response_time_ms"`
	CacheHit       bool    `json:"cache_hit"`
}

// RateLimitMeta is meta.rate_limit.
type RateLimitMeta struct {
	Limit     int    `json:"limit"`
	Remaining int    `json:"remaining"`
	Reset     string `json:"reset"`
}

// Pagination is meta.pagination of a collection.
type Pagination struct {
	Page       int  `json:"page"`
	Limit      int  `json:"limit"`
	Total      int  `json:"total"`
	TotalPages int  `json:"total_pages"`
	HasNext    bool `json:"has_next"`
	HasPrev    bool `json:"has_prev"`
}

type envelope struct {
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Error   *struct {
		Code             string         `json:"code"`
		Message          string         `json:"message"`
		Details          map[string]any `json:"details"`
		TraceID          string         `json:"trace_id"`
		DocumentationURL string         `json:"documentation_url"`
	} `json:"error"`
	Meta *Meta `json:"meta"`
}

// do sends the call, retrying idempotent calls on network errors, 429 and 503, and a user call once
// after a refresh when the access token is refused. out receives data (or the whole body when raw).
func (c *Client) do(ctx context.Context, k call, out any) (*Meta, error) {
	used := ""
	if c.apiKey != "" && c.Tokens().AccessToken == "" &&
		(k.auth == authUser || (k.auth == authService && c.clientID == "")) {
		k.auth = authAPIKey // not signed in: the API key is the credential (never refreshed)
	}
	if k.auth == authUser || (k.auth == authService && c.clientID == "") {
		var err error
		if used, err = c.freshAccessToken(ctx); err != nil {
			return nil, err
		}
	}
	meta, err := c.doRetrying(ctx, k, used, out)
	if used != "" && IsCode(err, CodeAuthTokenInvalid, CodeAuthTokenExpired) {
		if rerr := c.refreshAfter(ctx, used); rerr != nil {
			return nil, err // the original refusal says more than a failed refresh
		}
		return c.doRetrying(ctx, k, c.Tokens().AccessToken, out)
	}
	return meta, err
}

// freshAccessToken returns the access token, refreshing first when it has expired locally.
func (c *Client) freshAccessToken(ctx context.Context) (string, error) {
	t := c.Tokens()
	if t.AccessToken == "" {
		return "", &Error{Code: CodeAuthTokenInvalid, Message: "not signed in", Details: map[string]any{}}
	}
	if !t.ExpiresAt.IsZero() && !c.now().Before(t.ExpiresAt.Add(-5*time.Second)) && t.RefreshToken != "" {
		if err := c.refreshAfter(ctx, t.AccessToken); err != nil {
			return "", err
		}
		return c.Tokens().AccessToken, nil
	}
	return t.AccessToken, nil
}

func (c *Client) doRetrying(ctx context.Context, k call, accessToken string, out any) (*Meta, error) {
	for attempt := 0; ; attempt++ {
		meta, err := c.once(ctx, k, accessToken, out)
		var apiErr *Error
		if err == nil || !errors.As(err, &apiErr) || !apiErr.Temporary() || !k.idempotent() || attempt >= c.maxRetries {
			return meta, err
		}
		wait := apiErr.RetryAfter
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, networkError(ctx.Err())
		case <-timer.C:
		}
	}
}

// backoff is "full jitter": uniform in [0, min(max, base*2^attempt)).
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.backoffBase << min(attempt, 20)
	if ceiling <= 0 || ceiling > c.backoffMax {
		ceiling = c.backoffMax
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceiling)))
}

func (c *Client) newRequest(ctx context.Context, k call, accessToken string) (*http.Request, error) {
	target := c.apiRoot + k.path
	if strings.HasPrefix(k.path, "/.well-known") || strings.HasPrefix(k.path, "/health") {
		target = c.origin + k.path
	}
	if len(k.query) > 0 {
		target += "?" + k.query.Encode()
	}
	var body io.Reader
	contentType := ""
	switch {
	case k.form != nil:
		body, contentType = strings.NewReader(k.form.Encode()), "application/x-www-form-urlencoded"
	case k.body != nil:
		data, err := json.Marshal(k.body)
		if err != nil {
			return nil, err
		}
		body, contentType = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, k.method, target, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	switch {
	case k.auth == authAPIKey:
		req.Header.Set("X-API-Key", c.apiKey)
	case k.auth == authBearer:
		req.Header.Set("Authorization", "Bearer "+k.bearer)
	case k.auth == authService && c.clientID != "":
		req.SetBasicAuth(c.clientID, c.clientSecret)
	case accessToken != "":
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	return req, nil
}

// once sends one attempt and decodes the answer.
func (c *Client) once(ctx context.Context, k call, accessToken string, out any) (*Meta, error) {
	req, err := c.newRequest(ctx, k, accessToken)
	if err != nil {
		return nil, &Error{Code: CodeValidationInvalidFormat, Message: "cannot build the request", Details: map[string]any{}, cause: err}
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, networkError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, networkError(err)
	}
	retryAfter := parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	if k.raw && resp.StatusCode < 300 {
		if out != nil && len(data) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return nil, invalidResponse(resp.StatusCode, err)
			}
		}
		return nil, nil
	}
	if resp.StatusCode == http.StatusNoContent {
		return nil, nil
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil || (env.Error == nil && !env.Success) {
		return nil, invalidResponse(resp.StatusCode, err)
	}
	if env.Error != nil || resp.StatusCode >= 400 {
		return env.Meta, apiError(resp.StatusCode, &env, retryAfter)
	}
	if out != nil && len(env.Data) > 0 && string(env.Data) != "null" {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return nil, invalidResponse(resp.StatusCode, err)
		}
	}
	return env.Meta, nil
}

func invalidResponse(status int, cause error) *Error {
	return &Error{Status: status, Code: CodeInvalidResponse, Message: "the answer is not the API's envelope",
		Details: map[string]any{}, cause: cause}
}

func apiError(status int, env *envelope, retryAfter time.Duration) *Error {
	e := &Error{Status: status, Code: CodeInvalidResponse, Details: map[string]any{}, RetryAfter: retryAfter}
	if env.Error != nil {
		e.Code, e.Message, e.TraceID, e.DocumentationURL = Code(env.Error.Code), env.Error.Message,
			env.Error.TraceID, env.Error.DocumentationURL
		if env.Error.Details != nil {
			e.Details = env.Error.Details
		}
	}
	if e.RetryAfter == 0 {
		if s, ok := e.Details["retry_after_seconds"].(float64); ok && s > 0 {
			e.RetryAfter = time.Duration(s * float64(time.Second))
		}
	}
	return e
}
