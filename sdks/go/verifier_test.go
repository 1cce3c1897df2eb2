package archonauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Unit tests of the claim and header checks: a local key publisher signs tokens the real server never
// would (wrong aud, no jti, a future nbf...). The integration tests use the real server's tokens.

type publisher struct {
	key     *ecdsa.PrivateKey
	kid     string
	fetches atomic.Int32
	srv     *httptest.Server
}

func newPublisher(t *testing.T) *publisher {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := &publisher{key: key, kid: "agent-test-1"}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": "https://issuer.test", "jwks_uri": p.srv.URL + "/jwks",
			"agent_token_signing_alg_values_supported": []string{"ES256"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		jwk := jose.JSONWebKey{Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: "ES256", Use: "sig"}
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *publisher) sign(t *testing.T, header map[string]any, claims map[string]any) string {
	opts := &jose.SignerOptions{}
	opts.WithType("agent+jwt").WithHeader("kid", p.kid)
	for k, v := range header {
		opts.WithHeader(jose.HeaderKey(k), v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: p.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, _ := signer.Sign(payload)
	s, _ := jws.CompactSerialize()
	return s
}

func goodClaims() map[string]any {
	now := time.Now().Unix()
	return map[string]any{"iss": "https://issuer.test", "aud": "archon-agent-system", "sub": "user_1", "iat": now,
		"exp": now + 600, "jti": "j1", "type": "agent", "agent_id": "agt_1", "agent_type": "code_implementer",
		"capabilities": []string{"file:write"}, "depth": 1, "act": map[string]any{"sub": "agt_0"},
		"restrictions": map[string]any{"file_paths": []string{"/project/src/**"}, "git_branches": []string{}}}
}

func TestVerifierClaimChecks(t *testing.T) {
	p := newPublisher(t)
	v, _ := NewVerifier(p.srv.URL, WithLeeway(0))
	ctx := context.Background()
	claims, err := v.Verify(ctx, p.sign(t, nil, goodClaims()))
	if err != nil || claims.AgentID != "agt_1" || len(claims.Actors()) != 2 || claims.Actors()[1] != "agt_0" {
		t.Fatalf("good token: %+v %v", claims, err)
	}
	if d := claims.Decide("file:write", PathResource("/project/src/a.go")); !d.Allowed {
		t.Fatalf("decide: %+v", d)
	}
	edit := func(k string, val any) map[string]any { c := goodClaims(); c[k] = val; return c }
	drop := func(k string) map[string]any { c := goodClaims(); delete(c, k); return c }
	now := time.Now().Unix()
	cases := map[string]struct {
		token  string
		reason string
	}{
		"wrong aud":    {p.sign(t, nil, edit("aud", "archon-api")), ReasonTokenInvalid},
		"wrong iss":    {p.sign(t, nil, edit("iss", "archon-auth-service")), ReasonTokenInvalid},
		"access type":  {p.sign(t, nil, edit("type", "access")), ReasonTokenInvalid},
		"no jti":       {p.sign(t, nil, drop("jti")), ReasonTokenInvalid},
		"no exp":       {p.sign(t, nil, drop("exp")), ReasonTokenInvalid},
		"no iat":       {p.sign(t, nil, drop("iat")), ReasonTokenInvalid},
		"no sub":       {p.sign(t, nil, drop("sub")), ReasonTokenInvalid},
		"future nbf":   {p.sign(t, nil, edit("nbf", now+60)), ReasonTokenInvalid},
		"future iat":   {p.sign(t, nil, edit("iat", now+60)), ReasonTokenInvalid},
		"expired":      {p.sign(t, nil, edit("exp", now-1)), ReasonTokenExpired},
		"typ at+jwt":   {p.sign(t, map[string]any{"typ": "at+jwt"}, goodClaims()), ReasonTokenInvalid},
		"embedded jwk": {p.sign(t, map[string]any{"jwk": map[string]any{"kty": "EC"}}, goodClaims()), ReasonTokenInvalid},
		"jku":          {p.sign(t, map[string]any{"jku": "https://evil.test/jwks"}, goodClaims()), ReasonTokenInvalid},
		"two segments": {"a.b", ReasonTokenInvalid},
		"unknown kid":  {p.sign(t, map[string]any{"kid": "other"}, goodClaims()), ReasonTokenInvalid},
		"aud array":    {p.sign(t, nil, edit("aud", []string{"archon-agent-system"})), ReasonTokenInvalid},
		"sig of another": {func() string {
			other := newPublisher(t)
			other.kid = p.kid
			return other.sign(t, nil, goodClaims())
		}(), ReasonTokenInvalid},
	}
	for name, tc := range cases {
		_, err := v.Verify(ctx, tc.token)
		var te *TokenError
		if !errors.As(err, &te) || te.Reason != tc.reason {
			t.Errorf("%s: %v, want %s", name, err, tc.reason)
		}
	}
	// With leeway, a token expired a moment ago still passes.
	lenient, _ := NewVerifier(p.srv.URL, WithLeeway(30*time.Second))
	if _, err := lenient.Verify(ctx, p.sign(t, nil, edit("exp", now-5))); err != nil {
		t.Fatalf("within the leeway: %v", err)
	}
	// A restrictions claim that does not parse is refused at the restriction step, after the capability.
	bad := p.sign(t, nil, edit("restrictions", map[string]any{"file_paths": []string{"/a/../b"}}))
	c2, err := v.Verify(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	if d := c2.Decide("file:write", PathResource("/a")); d.Reason != ReasonRestrictionsInvalid {
		t.Fatalf("bad restrictions: %+v", d)
	}
	if d := c2.Decide("file:read", PathResource("/a")); d.Reason != ReasonCapabilityNotGranted {
		t.Fatalf("capability first: %+v", d)
	}
}

func TestUnknownKidRefetchInterval(t *testing.T) {
	p := newPublisher(t)
	now := time.Now()
	clock := func() time.Time { return now }
	v, _ := NewVerifier(p.srv.URL, WithClock(clock), WithKeyRefetchInterval(time.Minute))
	ctx := context.Background()
	if err := v.Prefetch(ctx); err != nil {
		t.Fatal(err)
	}
	unknown := p.sign(t, map[string]any{"kid": "rotated"}, goodClaims())
	for i := 0; i < 20; i++ {
		_, _ = v.Verify(ctx, unknown)
	}
	if got := p.fetches.Load(); got != 1 {
		t.Fatalf("%d fetches within the interval, want 1 (the prefetch; the last fetch is that recent)", got)
	}
	now = now.Add(61 * time.Second)
	p.kid = "rotated" // the publisher rotates: the kid becomes known on the next fetch
	if _, err := v.Verify(ctx, unknown); err != nil {
		t.Fatalf("after the interval the kid is refetched: %v", err)
	}
	if got := p.fetches.Load(); got != 2 {
		t.Fatalf("%d fetches, want 2", got)
	}
	// The key set is also refreshed when it is older than its max age.
	now = now.Add(301 * time.Second)
	if _, err := v.Verify(ctx, unknown); err != nil || p.fetches.Load() != 3 {
		t.Fatalf("max age: %v, %d fetches", err, p.fetches.Load())
	}
}

func TestKeysUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	v, _ := NewVerifier(srv.URL)
	_, err := v.Authorize(context.Background(), "a.b.c", "file:read", Resource{})
	if err != nil {
		t.Fatalf("a malformed token is decided without keys: %v", err)
	}
	p := newPublisher(t)
	token := p.sign(t, nil, goodClaims())
	if _, err := v.Authorize(context.Background(), token, "file:read", Resource{}); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("no keys: %v", err)
	}
}
