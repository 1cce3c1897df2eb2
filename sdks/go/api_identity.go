package archonauth

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// ---- accounts and sessions ----------------------------------------------------------------------------

// Register creates an account (POST /auth/register). While email verification is required the answer
// looks the same whether or not the email was already registered.
func (c *Client) Register(ctx context.Context, req RegisterRequest) (*RegisterResult, error) {
	var out RegisterResult
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/auth/register", body: req}, &out)
	return result(&out, err)
}

// VerifyEmail confirms an address with the token from the verification mail.
func (c *Client) VerifyEmail(ctx context.Context, token string) error {
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/auth/verify-email", body: map[string]string{"token": token}}, nil)
	return err
}

// ResendVerification asks for a new verification mail (always accepted).
func (c *Client) ResendVerification(ctx context.Context, email string) error {
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/auth/verify-email/resend", body: map[string]string{"email": email}}, nil)
	return err
}

// Login signs in and keeps the tokens (the refresh token comes in the body, so the client can refresh).
func (c *Client) Login(ctx context.Context, req LoginRequest) (*LoginResult, error) {
	var out LoginResult
	body := loginBody{LoginRequest: req, ReturnRefreshToken: true}
	if _, err := c.do(ctx, call{method: http.MethodPost, path: "/auth/login", body: body}, &out); err != nil {
		return nil, err
	}
	c.storeTokens(func(t *Tokens) {
		*t = Tokens{AccessToken: out.AccessToken, RefreshToken: out.RefreshToken, SessionID: out.SessionID,
			ExpiresAt: c.expiry(out.ExpiresIn)}
	})
	return &out, nil
}

// Logout ends sessions (scope "" is local) and forgets the tokens when this session ended. It answers
// how many sessions were revoked.
func (c *Client) Logout(ctx context.Context, scope LogoutScope) (int, error) {
	var out struct {
		RevokedSessions int `json:"revoked_sessions"`
	}
	body := map[string]string{}
	if scope != "" {
		body["scope"] = string(scope)
	}
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/auth/logout", body: body, auth: authUser}, &out)
	if err == nil && scope != LogoutOthers {
		c.ClearTokens()
	}
	return out.RevokedSessions, err
}

// RequestPasswordReset mails a reset token when the account exists (always accepted).
func (c *Client) RequestPasswordReset(ctx context.Context, email string) error {
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/auth/password-reset", body: map[string]string{"email": email}}, nil)
	return err
}

// ConfirmPasswordReset sets a new password with the mailed token; every session is revoked.
func (c *Client) ConfirmPasswordReset(ctx context.Context, token, newPassword string) error {
	body := map[string]string{"token": token, "new_password": newPassword}
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/auth/password-reset/confirm", body: body}, nil)
	return err
}

// ---- the signed-in user ----------------------------------------------------------------------------------

// Me is GET /users/me (the spec's getCurrentUser).
func (c *Client) Me(ctx context.Context) (*User, error) {
	var out User
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/users/me", auth: authUser}, &out)
	return result(&out, err)
}

// UpdateProfile is PUT /users/me.
func (c *Client) UpdateProfile(ctx context.Context, req UpdateProfileRequest) (*User, error) {
	var out User
	_, err := c.do(ctx, call{method: http.MethodPut, path: "/users/me", body: req, auth: authUser}, &out)
	return result(&out, err)
}

// ChangePassword changes the password; the other sessions are revoked, this one is kept. It answers
// how many sessions were revoked.
func (c *Client) ChangePassword(ctx context.Context, currentPassword, newPassword string) (int, error) {
	var out struct {
		RevokedSessions int `json:"revoked_sessions"`
	}
	body := map[string]string{"current_password": currentPassword, "new_password": newPassword}
	_, err := c.do(ctx, call{method: http.MethodPut, path: "/users/me/password", body: body, auth: authUser}, &out)
	return out.RevokedSessions, err
}

// Sessions lists the user's sessions.
func (c *Client) Sessions(ctx context.Context) (*Page[Session], error) {
	return list[Session](ctx, c, call{method: http.MethodGet, path: "/users/me/sessions", auth: authUser})
}

// RevokeSession ends one of the user's sessions (the spec's terminateSession).
func (c *Client) RevokeSession(ctx context.Context, sessionID string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: "/users/me/sessions/" + url.PathEscape(sessionID), auth: authUser}, nil)
	return err
}

// SecurityEvents lists the user's own audit events.
func (c *Client) SecurityEvents(ctx context.Context, p AuditParams) (*Page[AuditEvent], error) {
	return list[AuditEvent](ctx, c, call{method: http.MethodGet, path: "/users/me/security-events", query: p.values(), auth: authUser})
}

// ---- administration ----------------------------------------------------------------------------------

// ListUsers is GET /users (permission users:read).
func (c *Client) ListUsers(ctx context.Context, p ListUsersParams) (*Page[User], error) {
	q := url.Values{}
	setInt(q, "page", p.Page)
	setInt(q, "limit", p.Limit)
	setStr(q, "sort_by", p.SortBy)
	setStr(q, "sort_order", p.SortOrder)
	setStr(q, "q", p.Query)
	setStr(q, "role", p.Role)
	if p.IsActive != nil {
		q.Set("is_active", strconv.FormatBool(*p.IsActive))
	}
	return list[User](ctx, c, call{method: http.MethodGet, path: "/users", query: q, auth: authUser})
}

// GetUser is GET /users/{id}.
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	var out User
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/users/" + url.PathEscape(id), auth: authUser}, &out)
	return result(&out, err)
}

// UpdateUser is PATCH /users/{id} (permission users:write).
func (c *Client) UpdateUser(ctx context.Context, id string, req AdminUserUpdate) (*User, error) {
	var out User
	_, err := c.do(ctx, call{method: http.MethodPatch, path: "/users/" + url.PathEscape(id), body: req, auth: authUser}, &out)
	return result(&out, err)
}

// DeactivateUser is DELETE /users/{id}: the account is deactivated and every session revoked.
func (c *Client) DeactivateUser(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: "/users/" + url.PathEscape(id), auth: authUser}, nil)
	return err
}

// UserSessions lists a user's sessions.
func (c *Client) UserSessions(ctx context.Context, id string) (*Page[Session], error) {
	return list[Session](ctx, c, call{method: http.MethodGet, path: "/users/" + url.PathEscape(id) + "/sessions", auth: authUser})
}

// RevokeUserSession ends one session of a user.
func (c *Client) RevokeUserSession(ctx context.Context, id, sessionID string) error {
	path := "/users/" + url.PathEscape(id) + "/sessions/" + url.PathEscape(sessionID)
	_, err := c.do(ctx, call{method: http.MethodDelete, path: path, auth: authUser}, nil)
	return err
}

// AuditEvents is GET /audit (permission audit:read).
func (c *Client) AuditEvents(ctx context.Context, p AuditParams) (*Page[AuditEvent], error) {
	return list[AuditEvent](ctx, c, call{method: http.MethodGet, path: "/audit", query: p.values(), auth: authUser})
}

// ---- helpers ------------------------------------------------------------------------------------------

func result[T any](out *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return out, nil
}

func list[T any](ctx context.Context, c *Client, k call) (*Page[T], error) {
	var items []T
	meta, err := c.do(ctx, k, &items)
	if err != nil {
		return nil, err
	}
	page := &Page[T]{Items: items}
	if meta != nil && meta.Pagination != nil {
		page.Pagination = *meta.Pagination
	}
	return page, nil
}

func (p AuditParams) values() url.Values {
	q := url.Values{}
	setInt(q, "page", p.Page)
	setInt(q, "limit", p.Limit)
	setStr(q, "user_id", p.UserID)
	setStr(q, "event", p.Event)
	return q
}

func setInt(q url.Values, k string, v int) {
	if v != 0 {
		q.Set(k, strconv.Itoa(v))
	}
}

func setStr(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}
