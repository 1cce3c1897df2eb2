package archonauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	archonauth "github.com/archon-ai/archon-auth/sdks/go"
	"github.com/archon-ai/archon-auth/sdks/go/archontest"
)

// API keys through the typed client, against the real server: an administrator manages keys; a
// client holding only WithAPIKey acts within the key's scopes, gets 403 outside them and 401 once the
// key is revoked; the key never goes out beside another credential.

var keyShape = regexp.MustCompile(`^archon_sk_[0-9A-Za-z]{38}$`)

// headerLog records the credential headers of every request a client sends.
type headerLog struct {
	mu   sync.Mutex
	seen []http.Header
}

func (h *headerLog) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.seen = append(h.seen, http.Header{"X-Api-Key": r.Header.Values("X-API-Key"), "Authorization": r.Header.Values("Authorization")})
	h.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (h *headerLog) all() []http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]http.Header(nil), h.seen...)
}

func TestAPIKeyAdministration(t *testing.T) {
	srv := archontest.Start(t, "")
	ctx := context.Background()
	admin := adminClient(t, srv)
	created, err := admin.CreateAPIKey(ctx, archonauth.APIKeyCreate{Name: "file server",
		Scopes: []string{archonauth.ScopeAgentsVerify, archonauth.ScopeUsersRead}, ExpiresIn: 3600})
	if err != nil || !keyShape.MatchString(created.Key) || created.Prefix != created.Key[:14] || created.ExpiresAt == nil {
		t.Fatalf("create: %v %v", created, err)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", created, created, created), created.Key[10:42]) {
		t.Fatal("printing the created key shows the secret")
	}
	got, err := admin.GetAPIKey(ctx, created.ID)
	if err != nil || got.ID != created.ID || got.Name != "file server" || got.RevokedAt != nil || got.LastUsedAt != nil {
		t.Fatalf("get: %+v %v", got, err)
	}
	page, err := admin.ListAPIKeys(ctx, archonauth.ListAPIKeysParams{Limit: 100})
	if err != nil || len(page.Items) == 0 || page.Items[0].ID != created.ID || page.Pagination.Page != 1 {
		t.Fatalf("list: %+v %v", page, err)
	}
	revoked, err := admin.RevokeAPIKey(ctx, created.ID)
	if err != nil || revoked.RevokedAt == nil {
		t.Fatalf("revoke: %+v %v", revoked, err)
	}
	again, err := admin.RevokeAPIKey(ctx, created.ID)
	if err != nil || again.RevokedAt == nil || *again.RevokedAt != *revoked.RevokedAt {
		t.Fatalf("revoke again: %+v %v", again, err)
	}
	if _, err := admin.GetAPIKey(ctx, "key_00000000000000000000000000000000"); !errors.Is(err, archonauth.CodeResourceNotFound) {
		t.Fatalf("unknown key: %v", err)
	}

	email, password := fmt.Sprintf("plain-%d@example.com", time.Now().UnixNano()), "plain passphrase number one"
	srv.CreateUser(t, email, "Plain", "user", password)
	plain := newClient(t, srv)
	if _, err := plain.Login(ctx, archonauth.LoginRequest{Email: email, Password: password}); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.ListAPIKeys(ctx, archonauth.ListAPIKeysParams{}); !errors.Is(err, archonauth.CodeAuthInsufficientPermissions) {
		t.Fatalf("a plain user listing keys: %v", err)
	}
}

func TestAServiceActsWithTheAPIKeyAlone(t *testing.T) {
	srv := archontest.Start(t, "")
	ctx := context.Background()
	admin := adminClient(t, srv)
	created, err := admin.CreateAPIKey(ctx, archonauth.APIKeyCreate{Name: "tool server", Scopes: []string{
		archonauth.ScopeAgentsVerify, archonauth.ScopeTokensIntrospect, archonauth.ScopeUsersRead}})
	if err != nil {
		t.Fatal(err)
	}
	operator := operatorClient(t, srv)
	grant := mintImplementer(t, operator)

	log := &headerLog{}
	tool := newClient(t, srv, archonauth.WithAPIKey(created.Key), archonauth.WithRetries(0),
		archonauth.WithHTTPClient(&http.Client{Transport: log}))
	d, err := tool.VerifyAgent(ctx, archonauth.AgentVerifyRequest{Token: grant.AgentToken, Capability: "file:write",
		Resource: srcPath("/project/src/app.ts")})
	if err != nil || !d.Allowed || d.Reason != "allowed" {
		t.Fatalf("verify with the key: %+v %v", d, err)
	}
	if in, err := tool.Introspect(ctx, grant.AgentToken, ""); err != nil || !in.Active {
		t.Fatalf("introspect with the key: %+v %v", in, err)
	}
	if users, err := tool.ListUsers(ctx, archonauth.ListUsersParams{Limit: 5}); err != nil || len(users.Items) == 0 {
		t.Fatalf("list users with the key: %+v %v", users, err)
	}
	_, err = tool.AuditEvents(ctx, archonauth.AuditParams{})
	var apiErr *archonauth.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 403 || apiErr.Details["required_scope"] != "audit:read" {
		t.Fatalf("audit without the scope: %#v", err)
	}
	if _, err := tool.CreateAPIKey(ctx, archonauth.APIKeyCreate{Name: "by a key", Scopes: []string{"users:read"}}); !errors.Is(err, archonauth.CodeAuthInsufficientPermissions) {
		t.Fatalf("a key creating keys: %v", err)
	}
	if _, err := admin.RevokeAPIKey(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tool.ListUsers(ctx, archonauth.ListUsersParams{}); !errors.Is(err, archonauth.CodeAuthTokenInvalid) {
		t.Fatalf("a revoked key: %v", err)
	}
	for i, h := range log.all() {
		if h.Get("X-Api-Key") != created.Key || h.Get("Authorization") != "" {
			t.Fatalf("request %d: X-API-Key sent %t, Authorization %q", i, h.Get("X-Api-Key") != "", h.Get("Authorization"))
		}
	}
}

func TestTheAPIKeyIsNeverSentBesideAnotherCredential(t *testing.T) {
	srv := archontest.Start(t, "")
	ctx := context.Background()
	admin := adminClient(t, srv)
	created, err := admin.CreateAPIKey(ctx, archonauth.APIKeyCreate{Name: "mixed", Scopes: []string{archonauth.ScopeAgentsVerify}})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := srv.CreateServiceClient(t, "tool")
	grant := mintImplementer(t, operatorClient(t, srv))
	log := &headerLog{}
	c := newClient(t, srv, archonauth.WithAPIKey(created.Key), archonauth.WithServiceClient(id, secret),
		archonauth.WithHTTPClient(&http.Client{Transport: log}))
	req := archonauth.AgentVerifyRequest{Token: grant.AgentToken, Capability: "file:read", Resource: srcPath("/project/src/a.ts")}
	if d, err := c.VerifyAgent(ctx, req); err != nil || !d.Allowed { // Basic
		t.Fatalf("verify as the service client: %+v %v", d, err)
	}
	if d, err := c.VerifySelf(ctx, grant.AgentToken, req); err != nil || !d.Allowed { // the agent's Bearer
		t.Fatalf("verify self: %+v %v", d, err)
	}
	for i, h := range log.all() {
		if h.Get("X-Api-Key") != "" {
			t.Fatalf("request %d carried the key beside %q", i, h.Get("Authorization"))
		}
	}
}

func srcPath(path string) *archonauth.Resource {
	r := archonauth.PathResource(path)
	return &r
}

// operatorClient is a signed-in agent_operator.
func operatorClient(t *testing.T, srv *archontest.Server) *archonauth.Client {
	t.Helper()
	email, password := fmt.Sprintf("operator-%d@example.com", time.Now().UnixNano()), "operator passphrase number one"
	srv.CreateUser(t, email, "Operator", "agent_operator", password)
	c := newClient(t, srv)
	if _, err := c.Login(context.Background(), archonauth.LoginRequest{Email: email, Password: password}); err != nil {
		t.Fatal(err)
	}
	return c
}
