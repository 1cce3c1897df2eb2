package archonauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Unit tests of the middleware's answers for each verdict (the integration tests run it against the
// real server through examples/go-tool-server).

type fixedAuthorizer struct {
	verdict Verdict
	err     error
	seen    *Resource
}

func (f fixedAuthorizer) Authorize(_ context.Context, token, capability string, res Resource) (Verdict, error) {
	if f.seen != nil {
		*f.seen = res
	}
	return f.verdict, f.err
}

func TestRequireCapabilityAnswers(t *testing.T) {
	cases := []struct {
		verdict   Verdict
		err       error
		status    int
		code      Code
		challenge bool
	}{
		{Verdict{Decision: deny(ReasonTokenInvalid, "bad signature")}, nil, 401, CodeAuthTokenInvalid, true},
		{Verdict{Decision: deny(ReasonTokenRevoked, "")}, nil, 401, CodeAuthTokenInvalid, true},
		{Verdict{Decision: deny(ReasonTokenExpired, "")}, nil, 401, CodeAuthTokenExpired, true},
		{Verdict{Decision: deny(ReasonPathNotAllowed, "")}, nil, 403, CodeAuthInsufficientPermissions, false},
		{Verdict{Decision: deny(ReasonInvalidPath, "path contains a '..' segment")}, nil, 403, CodeAuthInsufficientPermissions, false},
		{Verdict{Decision: deny(ReasonCapabilityNotGranted, "")}, nil, 403, CodeAuthInsufficientPermissions, false},
		{Verdict{}, errors.New("unreachable"), 503, CodeSystemServiceUnavailable, false},
	}
	for _, tc := range cases {
		var seen Resource
		g := NewGuard(fixedAuthorizer{tc.verdict, tc.err, &seen})
		h := g.RequireCapability("file:write", func(r *http.Request) Resource { return PathResource(r.URL.Query().Get("p")) })(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Errorf("%s reached the handler", tc.verdict.Reason) }))
		req := httptest.NewRequest(http.MethodPost, "/x?p=/project/.env", nil)
		req.Header.Set("Authorization", "Bearer t")
		req.Header.Set("X-Request-ID", "trace-me-1")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body struct {
			Success bool            `json:"success"`
			Data    json.RawMessage `json:"data"`
			Error   struct {
				Code    Code           `json:"code"`
				Details map[string]any `json:"details"`
				TraceID string         `json:"trace_id"`
				DocURL  string         `json:"documentation_url"`
			} `json:"error"`
			Meta struct {
				RequestID string `json:"request_id"`
				Timestamp string `json:"timestamp"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %v", rec.Body, err)
		}
		if rec.Code != tc.status || body.Success || string(body.Data) != "null" || body.Error.Code != tc.code ||
			body.Error.TraceID != "trace-me-1" || body.Meta.RequestID != "trace-me-1" {
			t.Errorf("%s: %d %s", tc.verdict.Reason, rec.Code, rec.Body)
		}
		if _, err := time.Parse(time.RFC3339, body.Meta.Timestamp); err != nil {
			t.Errorf("timestamp %q", body.Meta.Timestamp)
		}
		if tc.err == nil && body.Error.Details["reason"] != tc.verdict.Reason {
			t.Errorf("details.reason %v, want %s", body.Error.Details["reason"], tc.verdict.Reason)
		}
		if (rec.Header().Get("WWW-Authenticate") != "") != tc.challenge {
			t.Errorf("%s: WWW-Authenticate %q", tc.verdict.Reason, rec.Header().Get("WWW-Authenticate"))
		}
		if tc.err == nil && (seen.Path == nil || *seen.Path != "/project/.env") {
			t.Errorf("the resource was not passed on: %+v", seen)
		}
	}
}

func TestRequireCapabilityAllows(t *testing.T) {
	claims := &AgentClaims{AgentID: "agt_1", Subject: "user_1", Act: &Actor{Sub: "agt_0"}}
	g := NewGuard(fixedAuthorizer{verdict: Verdict{Decision: Decision{Allowed: true, Reason: ReasonAllowed}, AgentID: "agt_1", Claims: claims}})
	var got Verdict
	h := g.RequireCapability("file:read", nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = VerdictFromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "bearer  tok ")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent || got.AgentID != "agt_1" || got.Claims.Actors()[1] != "agt_0" {
		t.Fatalf("%d %+v", rec.Code, got)
	}
	// No token at all never reaches the authorizer.
	req = httptest.NewRequest(http.MethodGet, "/", nil)
	rec = httptest.NewRecorder()
	NewGuard(fixedAuthorizer{err: errors.New("must not be called")}).RequireCapability("file:read", nil)(h).ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", rec.Code)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	if d := parseRetryAfter("7", now); d != 7*time.Second {
		t.Fatal(d)
	}
	if d := parseRetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now); d != 90*time.Second {
		t.Fatal(d)
	}
	if parseRetryAfter("soon", now) != 0 || parseRetryAfter("-3", now) != 0 {
		t.Fatal("garbage Retry-After")
	}
	c, _ := New("http://127.0.0.1:1", WithBackoff(100*time.Millisecond, time.Second))
	for attempt := 0; attempt < 40; attempt++ {
		if d := c.backoff(attempt); d < 0 || d >= time.Second {
			t.Fatalf("backoff(%d) = %v", attempt, d)
		}
	}
}
