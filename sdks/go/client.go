package archonauth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Version is this SDK's version, sent in the User-Agent.
const Version = "2.0.0"

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "ArchonAuthClient-Go/" + Version

// Client calls the archon-auth API. It is safe for concurrent use; share one per server.
//
// A Client holds the signed-in user's tokens after Login (or WithTokens): user calls send the
// access token, and when the server answers 401 the client refreshes once (one refresh for any number
// of goroutines meeting the 401 together) and retries the call once.
type Client struct {
	origin  string // scheme://host[:port]
	apiRoot string // origin + "/api/v2" (or the path given)

	httpClient   *http.Client
	apiKey       string
	userAgent    string
	maxRetries   int
	backoffBase  time.Duration
	backoffMax   time.Duration
	clientID     string
	clientSecret string
	onTokens     func(Tokens)
	now          func() time.Time

	mu     sync.Mutex
	tokens Tokens
	flight singleflight.Group
}

// Tokens is the user's credential state. Persist it (WithTokenHook) to survive restarts; never log it.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	SessionID    string
	ExpiresAt    time.Time // of the access token; zero when unknown
}

// String redacts the tokens, so that printing or logging Tokens never leaks them.
func (t Tokens) String() string {
	redact := func(s string) string {
		if s == "" {
			return `""`
		}
		return "[redacted]"
	}
	return fmt.Sprintf("{AccessToken:%s RefreshToken:%s SessionID:%s ExpiresAt:%s}",
		redact(t.AccessToken), redact(t.RefreshToken), t.SessionID, t.ExpiresAt.Format(time.RFC3339))
}

// GoString redacts as String does (for %#v).
func (t Tokens) GoString() string { return "archonauth.Tokens" + t.String() }

// Option configures a Client.
type Option func(*Client)

// WithAPIKey sets a service's API key (archon_sk_..., made with CreateAPIKey). While the client is not
// signed in, calls that need a credential (and, for VerifyAgent and Introspect, have no service
// client) send it as X-API-Key, alone: never beside another credential (the server refuses two) and
// never on public calls.
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = key } }

// WithTimeout bounds each HTTP attempt (default 10 s). Use the context for a bound on the whole call.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		hc := *c.httpClient
		hc.Timeout = d
		c.httpClient = &hc
	}
}

// WithHTTPClient uses the caller's *http.Client (transport, proxies, TLS). Apply WithTimeout after it
// to change its timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.httpClient = hc } }

// WithRetries sets how many times an idempotent request (GET, HEAD, PUT, DELETE, OPTIONS) is retried
// after a network error, 429 or 503 (default 3). Other requests are never retried, except once after a
// token refresh.
func WithRetries(n int) Option { return func(c *Client) { c.maxRetries = max(n, 0) } }

// WithBackoff sets the exponential backoff of retries: full jitter over base*2^attempt, capped at
// max (defaults 250 ms and 8 s). A Retry-After from the server takes precedence when present.
func WithBackoff(base, max time.Duration) Option {
	return func(c *Client) { c.backoffBase, c.backoffMax = base, max }
}

// WithUserAgent replaces the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithServiceClient sets a service client's credentials (archon-auth clients create), sent as HTTP
// Basic by the calls a resource or tool server makes: VerifyAgent, Introspect.
func WithServiceClient(clientID, clientSecret string) Option {
	return func(c *Client) { c.clientID, c.clientSecret = clientID, clientSecret }
}

// WithTokens starts the client signed in (tokens persisted from an earlier run).
func WithTokens(t Tokens) Option { return func(c *Client) { c.tokens = t } }

// WithTokenHook is called (outside any lock) with the new state whenever tokens change: after login,
// refresh and logout. Use it to persist the refresh token.
func WithTokenHook(f func(Tokens)) Option { return func(c *Client) { c.onTokens = f } }

// New returns a Client. baseURL is the API root as the spec writes it ("https://api.archon.ai/v2" or
// "http://host:port/api/v2": a path ending in /v2 is used as given) or a bare origin
// ("http://host:port": /api/v2 is added).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{Code: CodeValidationInvalidFormat, Message: "base URL must be an http(s) URL",
			Details: map[string]any{}}
	}
	origin := u.Scheme + "://" + u.Host
	path := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(path, "/v2") {
		path += "/api/v2"
	}
	c := &Client{
		origin:      origin,
		apiRoot:     origin + path,
		httpClient:  &http.Client{Timeout: 10 * time.Second},
		userAgent:   DefaultUserAgent,
		maxRetries:  3,
		backoffBase: 250 * time.Millisecond,
		backoffMax:  8 * time.Second,
		now:         time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Tokens returns the current credential state.
func (c *Client) Tokens() Tokens {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens
}

// SetTokens replaces the credential state (for example after restoring it from storage).
func (c *Client) SetTokens(t Tokens) { c.storeTokens(func(cur *Tokens) { *cur = t }) }

// ClearTokens forgets the user's tokens locally (Logout also asks the server to end the session).
func (c *Client) ClearTokens() { c.SetTokens(Tokens{}) }

// IsAuthenticated reports whether the client holds an access token that has not expired locally.
func (c *Client) IsAuthenticated() bool {
	t := c.Tokens()
	return t.AccessToken != "" && (t.ExpiresAt.IsZero() || c.now().Before(t.ExpiresAt))
}

func (c *Client) storeTokens(update func(*Tokens)) {
	c.mu.Lock()
	update(&c.tokens)
	t := c.tokens
	c.mu.Unlock()
	if c.onTokens != nil {
		c.onTokens(t)
	}
}

func (c *Client) expiry(expiresIn int64) time.Time {
	if expiresIn <= 0 {
		return time.Time{}
	}
	return c.now().Add(time.Duration(expiresIn) * time.Second)
}

// refreshAfter refreshes the session because `used` (an access token) was refused or has expired.
// Callers that meet the same refusal together share one refresh (singleflight); a caller arriving
// after another already replaced `used` just retries with the new token.
func (c *Client) refreshAfter(ctx context.Context, used string) error {
	_, err, _ := c.flight.Do("refresh", func() (any, error) {
		t := c.Tokens()
		if t.AccessToken != used && t.AccessToken != "" {
			return nil, nil // already refreshed by an earlier flight
		}
		if t.RefreshToken == "" {
			return nil, &Error{Code: CodeAuthTokenInvalid, Status: http.StatusUnauthorized,
				Message: "the access token was refused and there is no refresh token", Details: map[string]any{}}
		}
		// One caller's cancellation must not fail the refresh the others wait for.
		_, err := c.refreshWith(context.WithoutCancel(ctx), t.RefreshToken)
		return nil, err
	})
	return err
}

// Refresh exchanges the refresh token for a new access token (and a new, rotated refresh token).
func (c *Client) Refresh(ctx context.Context) (*RefreshResult, error) {
	t := c.Tokens()
	if t.RefreshToken == "" {
		return nil, &Error{Code: CodeAuthTokenInvalid, Message: "no refresh token", Details: map[string]any{}}
	}
	var out *RefreshResult
	_, err, _ := c.flight.Do("refresh", func() (any, error) {
		r, err := c.refreshWith(ctx, c.Tokens().RefreshToken)
		out = r
		return nil, err
	})
	if err == nil && out == nil {
		// Shared another goroutine's refresh: report the state it left.
		nt := c.Tokens()
		out = &RefreshResult{AccessToken: nt.AccessToken, TokenType: "Bearer", SessionID: nt.SessionID,
			RefreshToken: nt.RefreshToken}
	}
	return out, err
}

func (c *Client) refreshWith(ctx context.Context, refreshToken string) (*RefreshResult, error) {
	var out RefreshResult
	body := RefreshRequest{RefreshToken: refreshToken, ReturnRefreshToken: true}
	if _, err := c.do(ctx, call{method: http.MethodPost, path: "/auth/refresh", body: body, auth: authNone}, &out); err != nil {
		if IsCode(err, CodeAuthTokenInvalid, CodeAuthRefreshTokenReused) {
			c.ClearTokens() // the session is over: sign in again
		}
		return nil, err
	}
	c.storeTokens(func(t *Tokens) {
		t.AccessToken = out.AccessToken
		if out.RefreshToken != "" {
			t.RefreshToken = out.RefreshToken
		}
		t.SessionID = out.SessionID
		t.ExpiresAt = c.expiry(out.ExpiresIn)
	})
	return &out, nil
}
