package archonauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	archonauth "github.com/archon-ai/archon-auth/sdks/go"
	"github.com/archon-ai/archon-auth/sdks/go/archontest"
)

var implementerCaps = []string{"file:read", "file:write", "git:commit"}

func mintImplementer(t *testing.T, c *archonauth.Client) *archonauth.AgentTokenGrant {
	t.Helper()
	grant, err := c.AuthenticateAgent(context.Background(), archonauth.AgentAuthenticateRequest{
		AgentType: "code_implementer", CapabilitiesRequested: append(implementerCaps, "npm:install"),
		TaskContext: &archonauth.TaskContext{ProjectID: "proj_123", TaskType: "feature_implementation", EstimatedDuration: 300}})
	if err != nil {
		t.Fatalf("authenticate code_implementer: %v", err)
	}
	if grant.DenialReasons["npm:install"] != "requires_approval" || len(grant.CapabilitiesGranted) != 3 {
		t.Fatalf("grant: %+v", grant)
	}
	return grant
}

func newVerifier(t *testing.T, srv *archontest.Server, opts ...archonauth.VerifierOption) *archonauth.Verifier {
	t.Helper()
	v, err := archonauth.NewVerifier(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func reasonOf(t *testing.T, v *archonauth.Verifier, token string) string {
	t.Helper()
	_, err := v.Verify(context.Background(), token)
	var te *archonauth.TokenError
	if err == nil {
		return archonauth.ReasonAllowed
	}
	if !errors.As(err, &te) {
		t.Fatalf("verify failed without a token reason: %v", err)
	}
	return te.Reason
}

// forge signs claims with a key of our own under the given kid: what an attacker can do.
func forge(t *testing.T, kid string, claims map[string]any) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	opts := (&jose.SignerOptions{}).WithType("agent+jwt").WithHeader("kid", kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func decodeSegment(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

func TestOfflineVerificationOfRealTokens(t *testing.T) {
	srv := archontest.Start(t, "")
	ctx := context.Background()
	c := adminClient(t, srv)
	grant := mintImplementer(t, c)
	v := newVerifier(t, srv)
	if err := v.Prefetch(ctx); err != nil {
		t.Fatalf("prefetch: %v", err)
	}
	disc, err := c.Discovery(ctx)
	if err != nil || v.Issuer() != disc.Issuer {
		t.Fatalf("issuer %q vs discovery %+v (%v)", v.Issuer(), disc, err)
	}

	claims, err := v.Verify(ctx, grant.AgentToken)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if claims.AgentID != grant.AgentID || claims.AgentType != "code_implementer" || claims.Depth != 0 ||
		len(claims.Actors()) != 1 || claims.TaskContext["project_id"] != "proj_123" {
		t.Fatalf("claims: %+v", claims)
	}
	cases := []struct {
		capability string
		res        archonauth.Resource
		reason     string
	}{
		{"file:write", archonauth.PathResource("/project/src/app.go").WithSize(1024), "allowed"},
		{"file:write", archonauth.PathResource("/project/.env"), "path_not_allowed"},
		{"file:write", archonauth.PathResource("/project/src/../../etc/passwd"), "invalid_path"},
		{"git:commit", archonauth.BranchResource("refs/heads/main"), "branch_not_allowed"},
		{"git:commit", archonauth.BranchResource("main "), "invalid_branch"},
		{"file:write", archonauth.PathResource("/project/src/a").WithSize(10<<20 + 1), "size_exceeds_limit"},
		{"file:delete", archonauth.PathResource("/project/src/app.go"), "capability_not_granted"},
		{"npm:install", archonauth.Resource{}, "capability_not_granted"},
	}
	// Offline and online must reach the same decision.
	id, secret := srv.CreateServiceClient(t, "go-sdk-tests")
	online := archonauth.OnlineAuthorizer{Client: newClient(t, srv, archonauth.WithServiceClient(id, secret))}
	for _, tc := range cases {
		off, err := v.Authorize(ctx, grant.AgentToken, tc.capability, tc.res)
		if err != nil || off.Reason != tc.reason || off.Allowed != (tc.reason == "allowed") {
			t.Errorf("offline %s %+v: %+v %v, want %s", tc.capability, tc.res, off, err, tc.reason)
		}
		on, err := online.Authorize(ctx, grant.AgentToken, tc.capability, tc.res)
		if err != nil || on.Reason != tc.reason || on.AgentID != grant.AgentID {
			t.Errorf("online %s: %+v %v, want %s", tc.capability, on, err, tc.reason)
		}
	}

	// Delegation: the child carries the act chain, and the SDK predicts the narrowing.
	child, err := c.DelegateAgent(ctx, grant.AgentToken, archonauth.AgentDelegateRequest{
		AgentType: "test_writer", CapabilitiesRequested: []string{"file:read", "file:write"},
		Restrictions: &archonauth.AgentRestrictionsRequest{FilePaths: []string{"/project/src/components/**"},
			GitBranches: []string{"feature/login-*"}, MaxFileSize: "2MB"}})
	if err != nil {
		t.Fatalf("delegate: %v", err)
	}
	cc, err := v.Verify(ctx, child.AgentToken)
	if err != nil || cc.Depth != 1 || strings.Join(cc.Actors(), ",") != child.AgentID+","+grant.AgentID {
		t.Fatalf("child claims: %+v %v", cc, err)
	}
	parentR, _ := archonauth.ParseRestrictions(claims.Restrictions)
	requested, _ := archonauth.ParseRestrictions([]byte(`{"file_paths":["/project/src/components/**"],"git_branches":["feature/login-*"],"max_file_size":"2MB"}`))
	predicted, err := archonauth.Narrow(parentR, requested)
	pj, _ := json.Marshal(predicted)
	gj, _ := json.Marshal(child.Restrictions)
	if err != nil || string(pj) != string(gj) {
		t.Fatalf("narrow predicted %s, server gave %s (%v)", pj, gj, err)
	}
	_, err = c.DelegateAgent(ctx, grant.AgentToken, archonauth.AgentDelegateRequest{AgentType: "test_writer",
		CapabilitiesRequested: []string{"file:read"}, Restrictions: &archonauth.AgentRestrictionsRequest{FilePaths: []string{"/project/**"}}})
	var apiErr *archonauth.Error
	if !errors.As(err, &apiErr) || apiErr.Code != archonauth.CodeAgentDelegationRefused ||
		apiErr.Details["reason"] != "restrictions_wider_than_parent" {
		t.Fatalf("wider delegation: %v", err)
	}
}

func TestOfflineVerificationRefusals(t *testing.T) {
	srv := archontest.Start(t, archontest.FixedIssuer)
	c := adminClient(t, srv)
	grant := mintImplementer(t, c)
	v := newVerifier(t, srv, archonauth.WithLeeway(0))
	header := decodeSegment(t, grant.AgentToken, 0)
	claims := decodeSegment(t, grant.AgentToken, 1)

	// Capabilities edited, the server's signature kept.
	claims["capabilities"] = []string{"file:read", "file:write", "file:delete", "shell:execute"}
	edited, _ := json.Marshal(claims)
	parts := strings.Split(grant.AgentToken, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(edited) + "." + parts[2]
	selfSigned := forge(t, header["kid"].(string), claims)
	noneAlg := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"agent+jwt","kid":"`+header["kid"].(string)+`"}`)) +
		"." + parts[1] + "."
	access := c.Tokens().AccessToken
	for name, token := range map[string]string{"tampered": tampered, "self-signed": selfSigned, "alg none": noneAlg,
		"access token": access, "garbage": "not.a.token", "empty": ""} {
		if got := reasonOf(t, v, token); got != archonauth.ReasonTokenInvalid {
			t.Errorf("%s: %s, want token_invalid", name, got)
		}
	}

	// A real agent token that expires: minted by the CLI with a 1 s lifetime.
	short := srv.IssueToken(t, "agent", "user_expiring", time.Second)
	time.Sleep(2100 * time.Millisecond)
	if got := reasonOf(t, v, short); got != archonauth.ReasonTokenExpired {
		t.Errorf("expired token: %s", got)
	}
	lenient := newVerifier(t, srv, archonauth.WithLeeway(time.Hour))
	if got := reasonOf(t, lenient, short); got != archonauth.ReasonAllowed {
		t.Errorf("expired token within the leeway: %s", got)
	}
	// The clock decides too: an hour from now the real implementer token has expired.
	later := newVerifier(t, srv, archonauth.WithClock(func() time.Time { return time.Now().Add(2 * time.Hour) }))
	if got := reasonOf(t, later, grant.AgentToken); got != archonauth.ReasonTokenExpired {
		t.Errorf("implementer token two hours later: %s", got)
	}
}

// An unknown kid refetches the key set at most once per interval; a real rotation is picked up.
func TestUnknownKidRefetchIsBounded(t *testing.T) {
	srv := archontest.Start(t, "tokens:\n  key_refresh_seconds: 1\n") // the server picks up a rotation within 1 s
	ctx := context.Background()
	c := adminClient(t, srv)
	disc, err := c.Discovery(ctx)
	if err != nil {
		t.Fatal(err)
	}
	jwksPath := "GET " + strings.TrimPrefix(disc.JWKSURI, srv.URL)
	counter := newCounting()
	v := newVerifier(t, srv, archonauth.WithVerifierHTTPClient(&http.Client{Transport: counter}),
		archonauth.WithKeyRefetchInterval(time.Minute))
	if err := v.Prefetch(ctx); err != nil {
		t.Fatal(err)
	}
	first := mintImplementer(t, c).AgentToken
	oldKid, claims := decodeSegment(t, first, 0)["kid"], decodeSegment(t, first, 1)
	for i := 0; i < 50; i++ {
		if got := reasonOf(t, v, forge(t, fmt.Sprintf("unknown-%d", i), claims)); got != archonauth.ReasonTokenInvalid {
			t.Fatalf("forged token with an unknown kid: %s", got)
		}
	}
	if got := counter.count(jwksPath); got != 1 {
		t.Fatalf("50 unknown kids within the interval fetched the key set %d times, want only the prefetch", got)
	}

	// Rotate: tokens of the new key carry a new kid, fetched once when the interval allows it.
	counter2 := newCounting()
	v2 := newVerifier(t, srv, archonauth.WithVerifierHTTPClient(&http.Client{Transport: counter2}),
		archonauth.WithKeyRefetchInterval(time.Second))
	if err := v2.Prefetch(ctx); err != nil {
		t.Fatal(err)
	}
	srv.RotateKeys(t, "agent", true)
	var fresh string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		if fresh = mintImplementer(t, c).AgentToken; decodeSegment(t, fresh, 0)["kid"] != oldKid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no token signed by the rotated key within 30 s")
		}
	}
	time.Sleep(1100 * time.Millisecond) // past v2's refetch interval
	if _, err := v2.Verify(ctx, fresh); err != nil {
		t.Fatalf("token of the rotated key: %v", err)
	}
	if _, err := v2.Verify(ctx, first); err != nil {
		t.Fatalf("token of the previous key (still published): %v", err)
	}
	if got := counter2.count(jwksPath); got != 2 {
		t.Fatalf("prefetch + rotation cost %d key set fetches, want 2", got)
	}
	if got := reasonOf(t, v, fresh); got != archonauth.ReasonTokenInvalid {
		t.Fatalf("within its interval the first verifier may not refetch: %s", got)
	}
}
