package archonauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	archonauth "github.com/archon-ai/archon-auth/sdks/go"
	"github.com/archon-ai/archon-auth/sdks/go/archontest"
)

// Integration tests against the real archon-auth binary ($ARCHON_AUTH_BIN).

const adminPassword = "admin passphrase for go sdk tests"

// countingTransport counts requests per "METHOD /path" on the way to the real transport.
type countingTransport struct {
	next   http.RoundTripper
	mu     sync.Mutex
	counts map[string]int
}

func newCounting() *countingTransport {
	return &countingTransport{next: http.DefaultTransport, counts: map[string]int{}}
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.counts[r.Method+" "+r.URL.Path]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *countingTransport) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[key]
}

func newClient(t *testing.T, srv *archontest.Server, opts ...archonauth.Option) *archonauth.Client {
	t.Helper()
	c, err := archonauth.New(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func adminClient(t *testing.T, srv *archontest.Server, opts ...archonauth.Option) *archonauth.Client {
	t.Helper()
	email := fmt.Sprintf("admin-%d@example.com", time.Now().UnixNano())
	srv.CreateUser(t, email, "Admin", "admin", adminPassword)
	c := newClient(t, srv, opts...)
	if _, err := c.Login(context.Background(), archonauth.LoginRequest{Email: email, Password: adminPassword}); err != nil {
		t.Fatalf("admin login: %v", err)
	}
	return c
}

func TestIdentityJourney(t *testing.T) {
	srv := archontest.Start(t, "")
	ctx := context.Background()
	c := newClient(t, srv, archonauth.WithAPIKey("test-key"), archonauth.WithTimeout(20*time.Second))
	email, password := fmt.Sprintf("user-%d@example.com", time.Now().UnixNano()), "violet anchor 92 quietly mosaic"

	reg, err := c.Register(ctx, archonauth.RegisterRequest{Email: email, Password: password, Name: "Go User", TermsAccepted: true})
	if err != nil || !reg.EmailVerificationSent {
		t.Fatalf("register: %+v %v", reg, err)
	}
	_, err = c.Login(ctx, archonauth.LoginRequest{Email: email, Password: password})
	if !errors.Is(err, archonauth.CodeUserEmailNotVerified) {
		t.Fatalf("login before verification: %v", err)
	}
	if err := c.VerifyEmail(ctx, srv.MailToken(t, email, "verification")); err != nil {
		t.Fatalf("verify email: %v", err)
	}

	_, err = c.Login(ctx, archonauth.LoginRequest{Email: email, Password: "wrong password entirely"})
	var apiErr *archonauth.Error
	if !errors.As(err, &apiErr) || apiErr.Code != archonauth.CodeAuthInvalidCredentials || apiErr.Status != 401 ||
		apiErr.TraceID == "" || apiErr.Details["attempts_remaining"] == nil {
		t.Fatalf("wrong password: %#v", err)
	}
	if !errors.Is(err, archonauth.CodeAuthInvalidCredentials) || errors.Is(err, archonauth.CodeAuthAccountLocked) {
		t.Fatalf("errors.Is against codes: %v", err)
	}

	login, err := c.Login(ctx, archonauth.LoginRequest{Email: email, Password: password, RememberMe: true,
		DeviceInfo: map[string]any{"os": "linux"}})
	if err != nil || login.RefreshToken == "" || !c.IsAuthenticated() {
		t.Fatalf("login: %v (refresh token present: %v)", err, login != nil && login.RefreshToken != "")
	}
	me, err := c.Me(ctx)
	if err != nil || me.Email != email || !me.EmailVerified {
		t.Fatalf("me: %+v %v", me, err)
	}
	name := "Renamed"
	if me, err = c.UpdateProfile(ctx, archonauth.UpdateProfileRequest{Name: &name, Preferences: map[string]any{"theme": "dark"}}); err != nil || me.Name != name {
		t.Fatalf("update profile: %+v %v", me, err)
	}
	sessions, err := c.Sessions(ctx)
	if err != nil || len(sessions.Items) != 1 || !sessions.Items[0].Current || sessions.Pagination.Total != 1 {
		t.Fatalf("sessions: %+v %v", sessions, err)
	}
	if _, err := c.Refresh(ctx); err != nil {
		t.Fatalf("explicit refresh: %v", err)
	}
	if _, err := c.Me(ctx); err != nil {
		t.Fatalf("me after refresh: %v", err)
	}
	if _, err := c.ChangePassword(ctx, password, password+" changed"); err != nil {
		t.Fatalf("change password: %v", err)
	}
	if n, err := c.Logout(ctx, archonauth.LogoutLocal); err != nil || n != 1 || c.IsAuthenticated() {
		t.Fatalf("logout: %d %v", n, err)
	}
	if _, err := c.Me(ctx); !errors.Is(err, archonauth.CodeAuthTokenInvalid) {
		t.Fatalf("me after logout: %v", err)
	}
}

// 100 goroutines meet a 401 together: exactly one refresh request, and every call then succeeds.
func TestRefreshIsSingleFlight(t *testing.T) {
	srv := archontest.Start(t, "")
	ctx := context.Background()
	counter := newCounting()
	c := adminClient(t, srv, archonauth.WithHTTPClient(&http.Client{Transport: counter}))
	before := c.Tokens()
	// Put the access token on the deny-list: the server now answers 401 for it, the refresh token stays good.
	if err := c.Revoke(ctx, before.AccessToken, "access_token"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if _, err := newClient(t, srv, archonauth.WithTokens(archonauth.Tokens{AccessToken: before.AccessToken})).Me(ctx); !errors.Is(err, archonauth.CodeAuthTokenInvalid) {
		t.Fatalf("the revoked access token still works: %v", err)
	}

	var wg sync.WaitGroup
	var failures atomic.Int32
	start := make(chan struct{})
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := c.Me(ctx); err != nil {
				failures.Add(1)
				t.Errorf("me: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if got := counter.count("POST /api/v2/auth/refresh"); got != 1 {
		t.Fatalf("%d refresh requests for 100 goroutines, want exactly 1", got)
	}
	after := c.Tokens()
	if failures.Load() != 0 || after.AccessToken == before.AccessToken || after.RefreshToken == before.RefreshToken {
		t.Fatalf("failures %d; tokens rotated: access %v, refresh %v", failures.Load(),
			after.AccessToken != before.AccessToken, after.RefreshToken != before.RefreshToken)
	}
	// The server's own record agrees: one refresh audit row for the session.
	events, err := c.AuditEvents(ctx, archonauth.AuditParams{Event: "refresh"})
	if err != nil || len(events.Items) != 1 || events.Items[0].Outcome != "rotated" {
		t.Fatalf("refresh audit rows: %+v %v", events, err)
	}
	if got := counter.count("GET /api/v2/users/me"); got < 100 || got > 200 {
		t.Fatalf("%d GET /users/me, want 100..200 (each call at most once more after the refresh)", got)
	}
}

// A refused refresh (the session was revoked) is not retried in a loop and signs the client out.
func TestRefreshFailureSignsOut(t *testing.T) {
	srv := archontest.Start(t, "")
	ctx := context.Background()
	c := adminClient(t, srv)
	tokens := c.Tokens()
	if err := c.Revoke(ctx, tokens.RefreshToken, "refresh_token"); err != nil { // ends the whole session
		t.Fatal(err)
	}
	if _, err := c.Me(ctx); !errors.Is(err, archonauth.CodeAuthTokenInvalid) {
		t.Fatalf("me with a revoked session: %v", err)
	}
	if c.IsAuthenticated() || c.Tokens().RefreshToken != "" {
		t.Fatalf("the client still holds tokens of a dead session")
	}
}

// Idempotent calls are retried after 429 honouring Retry-After; a POST is not retried.
func TestRetriesHonourRetryAfterOnlyWhenIdempotent(t *testing.T) {
	// One authenticated request a second per user: the second call in a row gets 429 + Retry-After.
	limits := strings.Replace(archontest.RelaxedRateLimits,
		`authenticated: {per_user: "1000000/second", burst: 1000000}`, `authenticated: {per_user: "1/second", burst: 1}`, 1)
	srv := archontest.Start(t, limits)
	ctx := context.Background()
	counter := newCounting()
	c := adminClient(t, srv, archonauth.WithHTTPClient(&http.Client{Transport: counter}),
		archonauth.WithRetries(5), archonauth.WithBackoff(10*time.Millisecond, 50*time.Millisecond))

	// Three at once: one passes, the others meet 429 and are retried after Retry-After (about 1 s).
	began := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Me(ctx); err != nil {
				t.Errorf("me (should be retried until it passes): %v", err)
			}
		}()
	}
	wg.Wait()
	if got := counter.count("GET /api/v2/users/me"); got < 4 {
		t.Fatalf("%d GET /users/me for 3 calls: no 429 was retried", got)
	}
	if waited := time.Since(began); waited < 500*time.Millisecond {
		t.Fatalf("all done after %v: Retry-After (about 1 s) was not honoured", waited)
	}

	// A POST right after a GET meets 429 and is not retried (a slow machine may need a few tries to
	// land both within the same second).
	for try := 0; ; try++ {
		_, _ = c.Me(ctx)
		posts := counter.count("POST /api/v2/auth/logout")
		_, err := c.Logout(ctx, archonauth.LogoutOthers)
		if err == nil && try < 5 {
			continue
		}
		var apiErr *archonauth.Error
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || apiErr.RetryAfter <= 0 ||
			!errors.Is(err, archonauth.CodeRateLimitExceeded) {
			t.Fatalf("logout under the limit: %#v", err)
		}
		if got := counter.count("POST /api/v2/auth/logout") - posts; got != 1 {
			t.Fatalf("the POST was sent %d times, want once", got)
		}
		break
	}
}

// The client's options: base URL forms, and a context deadline ends a call.
func TestBaseURLFormsAndContext(t *testing.T) {
	srv := archontest.Start(t, "")
	for _, base := range []string{srv.URL, srv.URL + "/", srv.URL + "/api/v2", srv.URL + "/api/v2/"} {
		c, err := archonauth.New(base)
		if err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		if _, err := c.Health(context.Background()); err != nil { // /health, at the origin
			t.Fatalf("%s: health: %v", base, err)
		}
		// An empty registration reaches the route (a validation error), not a 404.
		_, err = c.Register(context.Background(), archonauth.RegisterRequest{})
		var apiErr *archonauth.Error
		if !errors.As(err, &apiErr) || apiErr.Status == http.StatusNotFound || !strings.HasPrefix(string(apiErr.Code), "VALIDATION_") {
			t.Fatalf("%s: register {}: %v", base, err)
		}
	}
	c := newClient(t, srv)
	keys, err := c.JWKS(context.Background())
	if err != nil || len(keys.Keys) < 2 || c.Live(context.Background()) != nil || c.Ready(context.Background()) != nil {
		t.Fatalf("jwks %+v, live, ready: %v", keys, err)
	}
	algs := map[string]bool{}
	for _, k := range keys.Keys {
		algs[k.Alg] = k.Kid != "" && k.Use == "sig"
	}
	if !algs["RS256"] || !algs["ES256"] {
		t.Fatalf("the default key set has an RS256 access key and an ES256 agent key: %+v", keys)
	}
	if _, err := archonauth.New("ftp://example.com"); err == nil {
		t.Fatal("an ftp base URL was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Health(ctx)
	if !errors.Is(err, archonauth.CodeNetwork) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
}
