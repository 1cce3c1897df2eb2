package archonauth_test

import (
	"context"
	"errors"
	"testing"

	archonauth "github.com/archon-ai/archon-auth/sdks/go"
	"github.com/archon-ai/archon-auth/sdks/go/archontest"
)

// The rest of the API through the typed client, against the real server: administration, grants,
// agent token listing and revocation, introspection, RFC 7009 revocation, password reset.

func TestAdministrationAndGrants(t *testing.T) {
	srv := archontest.Start(t, "")
	ctx := context.Background()
	admin := adminClient(t, srv)
	userEmail, userPassword := "member@example.com", "member passphrase number one"
	srv.CreateUser(t, userEmail, "Member", "user", userPassword)
	member := newClient(t, srv)
	if _, err := member.Login(ctx, archonauth.LoginRequest{Email: userEmail, Password: userPassword}); err != nil {
		t.Fatal(err)
	}

	page, err := admin.ListUsers(ctx, archonauth.ListUsersParams{Query: "member", Limit: 10, SortBy: "email", SortOrder: "asc"})
	if err != nil || len(page.Items) != 1 || page.Items[0].Email != userEmail || page.Pagination.Total != 1 {
		t.Fatalf("list users: %+v %v", page, err)
	}
	id := page.Items[0].ID
	if u, err := admin.GetUser(ctx, id); err != nil || u.Name != "Member" {
		t.Fatalf("get user: %+v %v", u, err)
	}
	if _, err := member.ListUsers(ctx, archonauth.ListUsersParams{}); !errors.Is(err, archonauth.CodeAuthInsufficientPermissions) {
		t.Fatalf("a user listing users: %v", err)
	}

	checkGrantsAndIntrospection(t, admin, member)

	// Sessions and deactivation.
	sessions, err := admin.UserSessions(ctx, id)
	if err != nil || len(sessions.Items) != 1 {
		t.Fatalf("user sessions: %+v %v", sessions, err)
	}
	active := false
	if u, err := admin.UpdateUser(ctx, id, archonauth.AdminUserUpdate{IsActive: &active}); err != nil || u.IsActive {
		t.Fatalf("update user: %+v %v", u, err)
	}
	if _, err := member.Me(ctx); err == nil {
		t.Fatal("a deactivated user's session still works")
	}
	if err := admin.DeactivateUser(ctx, id); err != nil {
		t.Fatalf("deactivate: %v", err)
	}
	events, err := admin.AuditEvents(ctx, archonauth.AuditParams{Event: "agent_grants_changed"})
	if err != nil || len(events.Items) != 1 || events.Items[0].Outcome != "success" {
		t.Fatalf("audit: %+v %v", events, err)
	}
	if mine, err := admin.SecurityEvents(ctx, archonauth.AuditParams{Limit: 5}); err != nil || len(mine.Items) == 0 {
		t.Fatalf("security events: %+v %v", mine, err)
	}
}

func TestPasswordResetAndSessionRevocation(t *testing.T) {
	srv := archontest.Start(t, "")
	ctx := context.Background()
	email, password := "forgetful@example.com", "first passphrase of forgetful"
	srv.CreateUser(t, email, "Forgetful", "user", password)
	a, b := newClient(t, srv), newClient(t, srv)
	for _, c := range []*archonauth.Client{a, b} {
		if _, err := c.Login(ctx, archonauth.LoginRequest{Email: email, Password: password}); err != nil {
			t.Fatal(err)
		}
	}
	sessions, err := a.Sessions(ctx)
	if err != nil || len(sessions.Items) != 2 {
		t.Fatalf("sessions: %+v %v", sessions, err)
	}
	if err := a.RevokeSession(ctx, b.Tokens().SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Me(ctx); !errors.Is(err, archonauth.CodeAuthTokenInvalid) || b.IsAuthenticated() {
		t.Fatalf("b after its session was revoked: %v", err)
	}
	if err := a.RequestPasswordReset(ctx, email); err != nil {
		t.Fatal(err)
	}
	if err := a.ConfirmPasswordReset(ctx, srv.MailToken(t, email, "reset"), "second passphrase of forgetful"); err != nil {
		t.Fatalf("confirm reset: %v", err)
	}
	if _, err := a.Me(ctx); err == nil {
		t.Fatal("a session survived the password reset")
	}
	if _, err := a.Login(ctx, archonauth.LoginRequest{Email: email, Password: "second passphrase of forgetful"}); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	if err := a.ResendVerification(ctx, email); err != nil {
		t.Fatal(err)
	}
}

// checkGrantsAndIntrospection: a role grant lets a plain user run a type under a ceiling; the token
// is listed, introspected, revoked by its holder (RFC 7009) and then refused.
func checkGrantsAndIntrospection(t *testing.T, admin, member *archonauth.Client) {
	ctx := context.Background()
	// A plain user runs no agent type until a grant says so.
	types, err := member.AgentTypes(ctx)
	if err != nil || len(types) == 0 || types[0].Runnable {
		t.Fatalf("agent types: %d %v", len(types), err)
	}
	_, err = member.AuthenticateAgent(ctx, archonauth.AgentAuthenticateRequest{AgentType: "code_reviewer", CapabilitiesRequested: []string{"file:read"}})
	if !errors.Is(err, archonauth.CodeAgentUnauthorized) {
		t.Fatalf("authenticate without a grant: %v", err)
	}
	grants, err := admin.ReplaceRoleAgentGrants(ctx, "user", []archonauth.AgentGrant{{AgentType: "code_reviewer", Capabilities: []string{"file:read"}}})
	if err != nil || grants.Role != "user" || len(grants.Grants) != 1 {
		t.Fatalf("replace grants: %+v %v", grants, err)
	}
	if g, err := admin.RoleAgentGrants(ctx, "user"); err != nil || g.Grants[0].AgentType != "code_reviewer" {
		t.Fatalf("read grants: %+v %v", g, err)
	}
	grant, err := member.AuthenticateAgent(ctx, archonauth.AgentAuthenticateRequest{AgentType: "code_reviewer",
		CapabilitiesRequested: []string{"file:read", "pr:write"}})
	if err != nil || len(grant.CapabilitiesGranted) != 1 || grant.DenialReasons["pr:write"] == "" {
		t.Fatalf("authenticate under the ceiling: %+v %v", grant, err)
	}
	tokens, err := member.AgentTokens(ctx)
	if err != nil || len(tokens.Items) != 1 || tokens.Items[0].AgentID != grant.AgentID || tokens.Items[0].ParentAgentID != nil {
		t.Fatalf("agent tokens: %+v %v", tokens, err)
	}

	// Introspection as an administrator, then RFC 7009 revocation by the holder.
	in, err := admin.Introspect(ctx, grant.AgentToken, "agent_token")
	if err != nil || !in.Active || in.AgentID != grant.AgentID || in.TokenType != "agent_token" {
		t.Fatalf("introspect: %+v %v", in, err)
	}
	if err := member.Revoke(ctx, grant.AgentToken, "agent_token"); err != nil {
		t.Fatal(err)
	}
	if in, err = admin.Introspect(ctx, grant.AgentToken, ""); err != nil || in.Active {
		t.Fatalf("introspect after revoke: %+v %v", in, err)
	}
	if d, err := member.VerifySelf(ctx, grant.AgentToken, archonauth.AgentVerifyRequest{Capability: "file:read"}); !errors.Is(err, archonauth.CodeAuthTokenInvalid) {
		t.Fatalf("a revoked agent asking about itself: %+v %v", d, err)
	}
}
