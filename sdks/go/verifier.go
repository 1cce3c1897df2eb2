package archonauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The agent token's fixed values (docs/tokens.md, docs/agents.md).
const (
	AgentTokenType     = "agent+jwt"           // header typ
	AgentTokenAudience = "archon-agent-system" // aud
	agentTokenKind     = "agent"               // the type claim
)

// AgentClaims are a verified agent token's claims.
type AgentClaims struct {
	Subject      string          `json:"sub"` // the user the agent acts for
	AgentID      string          `json:"agent_id"`
	AgentType    string          `json:"agent_type"`
	Capabilities []string        `json:"capabilities"`
	Restrictions json.RawMessage `json:"restrictions"` // parsed strictly by Decide
	TaskContext  map[string]any  `json:"task_context"`
	SessionID    string          `json:"session_id"`
	Depth        int             `json:"depth"`
	Act          *Actor          `json:"act"` // delegated tokens: the ancestors, nearest first
	Issuer       string          `json:"iss"`
	IssuedAt     int64           `json:"iat"`
	ExpiresAt    int64           `json:"exp"`
	NotBefore    int64           `json:"nbf"`
	JTI          string          `json:"jti"`
	Type         string          `json:"type"`
}

// HasCapability compares exactly.
func (c *AgentClaims) HasCapability(capability string) bool {
	return contains(c.Capabilities, capability)
}

// Actors is the chain to record with an action: this agent, then its ancestors (act.sub,
// act.act.sub, ...), all acting for Subject.
func (c *AgentClaims) Actors() []string { return append([]string{c.AgentID}, c.Act.Chain()...) }

// Decide applies the verify endpoint's steps after the token itself: the capability (exact), the
// restrictions claim (strictly parsed), then the resource (path, branch, size).
func (c *AgentClaims) Decide(capability string, res Resource) Decision {
	if !c.HasCapability(capability) {
		return deny(ReasonCapabilityNotGranted, "")
	}
	r, err := ParseRestrictions(c.Restrictions)
	if err != nil {
		return deny(ReasonRestrictionsInvalid, err.Error())
	}
	return r.Check(res)
}

// TokenError is a token that does not verify. Reason is ReasonTokenInvalid or ReasonTokenExpired
// (offline), or ReasonTokenRevoked (online).
type TokenError struct {
	Reason string
	Detail string // why, without quoting the token
}

func (e *TokenError) Error() string { return "agent token refused: " + e.Reason + ": " + e.Detail }

func invalid(format string, args ...any) error {
	return &TokenError{Reason: ReasonTokenInvalid, Detail: fmt.Sprintf(format, args...)}
}

// ErrKeysUnavailable: the discovery document or key set could not be read; nothing can be verified.
var ErrKeysUnavailable = errors.New("archon-auth: signing keys unavailable")

// Verifier verifies agent tokens offline with the server's published keys: discovery, then the JWKS.
// It is safe for concurrent use. Keys are refetched every max-age (300 s) and, for a token with an
// unknown kid, at most once per refetch interval (default 30 s), so forged kids cannot make it hammer
// the server. Offline verification cannot see revocations: use OnlineAuthorizer where they matter.
type Verifier struct {
	discoveryURL    string
	httpClient      *http.Client
	leeway          time.Duration
	maxAge          time.Duration
	refetchInterval time.Duration
	now             func() time.Time
	keys            *keyCache
}

// VerifierOption configures a Verifier.
type VerifierOption func(*Verifier)

// WithLeeway sets the allowed clock skew for exp, nbf and iat (default 30 s, the server's default
// tokens.leeway_seconds).
func WithLeeway(d time.Duration) VerifierOption { return func(v *Verifier) { v.leeway = d } }

// WithVerifierHTTPClient sets the client used for discovery and the key set.
func WithVerifierHTTPClient(hc *http.Client) VerifierOption {
	return func(v *Verifier) { v.httpClient = hc }
}

// WithKeyRefetchInterval bounds refetches caused by unknown kids (default 30 s).
func WithKeyRefetchInterval(d time.Duration) VerifierOption {
	return func(v *Verifier) { v.refetchInterval = d }
}

// WithKeyMaxAge sets how long a fetched key set is used before it is fetched again (default 300 s,
// the server's Cache-Control max-age).
func WithKeyMaxAge(d time.Duration) VerifierOption { return func(v *Verifier) { v.maxAge = d } }

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) VerifierOption { return func(v *Verifier) { v.now = now } }

// NewVerifier returns a Verifier for the server at baseURL (an origin such as http://host:port, or
// the API root: only scheme and host are used). Nothing is fetched until the first Verify, or Prefetch.
func NewVerifier(baseURL string, opts ...VerifierOption) (*Verifier, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("archon-auth: the verifier's base URL must be an http(s) URL")
	}
	v := &Verifier{
		discoveryURL:    u.Scheme + "://" + u.Host + "/.well-known/openid-configuration",
		httpClient:      &http.Client{Timeout: 10 * time.Second},
		leeway:          30 * time.Second,
		maxAge:          300 * time.Second,
		refetchInterval: 30 * time.Second,
		now:             time.Now,
	}
	for _, o := range opts {
		o(v)
	}
	v.keys = &keyCache{v: v}
	return v, nil
}

// Prefetch reads discovery and the key set now, so that the first request does not wait for them and
// a misconfiguration shows at start-up.
func (v *Verifier) Prefetch(ctx context.Context) error { return v.keys.refresh(ctx, true) }

// Issuer is the issuer read from discovery ("" before the first fetch).
func (v *Verifier) Issuer() string { s, _ := v.keys.snapshot(); return s.issuer }

// Verify checks the token's signature, header and claims. A refused token is a *TokenError; an error
// wrapping ErrKeysUnavailable means the keys could not be fetched (not the token's fault).
func (v *Verifier) Verify(ctx context.Context, token string) (*AgentClaims, error) {
	header, err := checkHeader(token)
	if err != nil {
		return nil, err
	}
	set, err := v.keys.lookup(ctx, header.Kid)
	if err != nil {
		return nil, err
	}
	key, ok := set.keys[header.Kid]
	if !ok {
		return nil, invalid("no published key has this kid")
	}
	if key.Algorithm != header.Alg || !contains(set.algs, header.Alg) {
		return nil, invalid("the algorithm is not the key's, or not an agent token algorithm")
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(key.Algorithm)})
	if err != nil {
		return nil, invalid("malformed token")
	}
	payload, err := jws.Verify(key.Key)
	if err != nil {
		return nil, invalid("bad signature")
	}
	var claims AgentClaims
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, invalid("malformed claims")
	}
	if err := v.checkClaims(payload, &claims, set.issuer); err != nil {
		return nil, err
	}
	return &claims, nil
}

type tokenHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// checkHeader reads the protected header before any key is looked up: typ must be agent+jwt, a kid
// must be present, and key-carrying or key-locating parameters are refused, never followed.
func checkHeader(token string) (*tokenHeader, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, invalid("not a compact JWS")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, invalid("malformed header")
	}
	var fields map[string]json.RawMessage
	var h tokenHeader
	if json.Unmarshal(raw, &fields) != nil || json.Unmarshal(raw, &h) != nil {
		return nil, invalid("malformed header")
	}
	for _, name := range []string{"jku", "x5u", "jwk", "x5c", "crit"} {
		if _, present := fields[name]; present {
			return nil, invalid("the header carries %s", name)
		}
	}
	if h.Typ != AgentTokenType {
		return nil, invalid("typ is not %s", AgentTokenType)
	}
	if h.Kid == "" || h.Alg == "" || strings.EqualFold(h.Alg, "none") || strings.HasPrefix(h.Alg, "HS") {
		return nil, invalid("missing kid, or an algorithm that is never accepted")
	}
	return &h, nil
}

func (v *Verifier) checkClaims(payload []byte, c *AgentClaims, issuer string) error {
	var presence map[string]json.RawMessage
	_ = json.Unmarshal(payload, &presence)
	for _, name := range []string{"iss", "aud", "sub", "iat", "exp", "jti", "type"} {
		if _, ok := presence[name]; !ok {
			return invalid("the %s claim is missing", name)
		}
	}
	var aud string
	if json.Unmarshal(presence["aud"], &aud) != nil || aud != AgentTokenAudience {
		return invalid("aud is not %s", AgentTokenAudience)
	}
	switch {
	case c.Issuer != issuer:
		return invalid("iss is not the issuer of the discovery document")
	case c.Type != agentTokenKind:
		return invalid("type is not agent")
	case c.Subject == "" || c.JTI == "":
		return invalid("sub or jti is empty")
	}
	now := v.now()
	leeway := int64(v.leeway / time.Second)
	if c.IssuedAt > now.Unix()+leeway {
		return invalid("issued in the future")
	}
	if _, ok := presence["nbf"]; ok && c.NotBefore > now.Unix()+leeway {
		return invalid("not valid yet")
	}
	if now.Unix() >= c.ExpiresAt+leeway {
		return &TokenError{Reason: ReasonTokenExpired, Detail: "past its exp"}
	}
	return nil
}
