package archonauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// ---- agents ----------------------------------------------------------------------------------------

// AgentTypes is the catalog (GET /agents/types), with Runnable marking what the user may run.
func (c *Client) AgentTypes(ctx context.Context) ([]AgentType, error) {
	var out []AgentType
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/agents/types", auth: authUser}, &out)
	return out, err
}

// AuthenticateAgent mints an agent token for the signed-in user. Denied capabilities do not fail the
// call: see CapabilitiesDenied and DenialReasons.
func (c *Client) AuthenticateAgent(ctx context.Context, req AgentAuthenticateRequest) (*AgentTokenGrant, error) {
	var out AgentTokenGrant
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/auth/agents/authenticate", body: req, auth: authUser}, &out)
	return result(&out, err)
}

// DelegateAgent asks, with the parent's agent token, for a narrower child token. Refusals are
// CodeAgentDelegationRefused with Details["reason"].
func (c *Client) DelegateAgent(ctx context.Context, parentToken string, req AgentDelegateRequest) (*AgentTokenGrant, error) {
	var out AgentTokenGrant
	k := call{method: http.MethodPost, path: "/auth/agents/delegate", body: req, auth: authBearer, bearer: parentToken}
	_, err := c.do(ctx, k, &out)
	return result(&out, err)
}

// VerifyAgent asks the server to decide one action for the agent token in req.Token (a tool server's
// question). It authenticates with the service client (WithServiceClient), else with the signed-in
// user's access token, which must be an administrator's. A bad token is a decision
// (token_invalid, token_expired, token_revoked), not an error. Unlike offline verification this sees
// revocations.
func (c *Client) VerifyAgent(ctx context.Context, req AgentVerifyRequest) (*AgentVerifyDecision, error) {
	var out AgentVerifyDecision
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/auth/agents/verify", body: req, auth: authService}, &out)
	return result(&out, err)
}

// VerifySelf is an agent asking about itself with its own token (req.Token is ignored).
func (c *Client) VerifySelf(ctx context.Context, agentToken string, req AgentVerifyRequest) (*AgentVerifyDecision, error) {
	req.Token = ""
	var out AgentVerifyDecision
	k := call{method: http.MethodPost, path: "/auth/agents/verify", body: req, auth: authBearer, bearer: agentToken}
	_, err := c.do(ctx, k, &out)
	return result(&out, err)
}

// AgentTokens lists the user's live agent tokens, grouped by lineage.
func (c *Client) AgentTokens(ctx context.Context) (*Page[AgentTokenRecord], error) {
	return list[AgentTokenRecord](ctx, c, call{method: http.MethodGet, path: "/auth/agents/tokens", auth: authUser})
}

// RevokeAgentToken revokes an agent token and all its descendants.
func (c *Client) RevokeAgentToken(ctx context.Context, agentID string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: "/auth/agents/tokens/" + url.PathEscape(agentID), auth: authUser}, nil)
	return err
}

// RoleAgentGrants reads a role's agent grants (permission users:read).
func (c *Client) RoleAgentGrants(ctx context.Context, role string) (*AgentGrants, error) {
	var out AgentGrants
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/admin/roles/" + url.PathEscape(role) + "/agent-grants", auth: authUser}, &out)
	return result(&out, err)
}

// ReplaceRoleAgentGrants replaces all of a role's agent grants (permission roles:write).
func (c *Client) ReplaceRoleAgentGrants(ctx context.Context, role string, grants []AgentGrant) (*AgentGrants, error) {
	var out AgentGrants
	body := map[string][]AgentGrant{"grants": grants}
	if body["grants"] == nil {
		body["grants"] = []AgentGrant{}
	}
	k := call{method: http.MethodPut, path: "/admin/roles/" + url.PathEscape(role) + "/agent-grants", body: body, auth: authUser}
	_, err := c.do(ctx, k, &out)
	return result(&out, err)
}

// ---- tokens -------------------------------------------------------------------------------------------

// Introspect asks whether a token is active (RFC 7662), as a service client (or an administrator).
// hint may be "", "access_token", "refresh_token" or "agent_token".
func (c *Client) Introspect(ctx context.Context, token, hint string) (*Introspection, error) {
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	var raw json.RawMessage
	k := call{method: http.MethodPost, path: "/auth/introspect", form: form, auth: authService, raw: true}
	if _, err := c.do(ctx, k, &raw); err != nil {
		return nil, err
	}
	// RFC 7662 answers top-level JSON; older servers wrapped it in the envelope's data.
	var probe struct {
		Success *bool           `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	if json.Unmarshal(raw, &probe) == nil && probe.Success != nil {
		raw = probe.Data
	}
	var out Introspection
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, invalidResponse(http.StatusOK, err)
	}
	return &out, nil
}

// Revoke revokes a token (RFC 7009): possession is the authority, no credential is sent.
func (c *Client) Revoke(ctx context.Context, token, hint string) error {
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/auth/revoke", form: form}, nil)
	return err
}

// Discovery reads GET /.well-known/openid-configuration (plain JSON, not the envelope).
func (c *Client) Discovery(ctx context.Context) (*Discovery, error) {
	var out Discovery
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/.well-known/openid-configuration", raw: true}, &out)
	return result(&out, err)
}

// JWKS reads the published signing keys (GET /.well-known/jwks.json). A Verifier does this itself.
func (c *Client) JWKS(ctx context.Context) (*JWKSet, error) {
	var out JWKSet
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/.well-known/jwks.json", raw: true}, &out)
	return result(&out, err)
}

// Live reports GET /health/live: nil while the process serves.
func (c *Client) Live(ctx context.Context) error {
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/health/live"}, nil)
	return err
}

// Health reads GET /health. An unhealthy server answers 503, returned as an *Error.
func (c *Client) Health(ctx context.Context) (*HealthReport, error) {
	var out HealthReport
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/health"}, &out)
	return result(&out, err)
}

// Ready reports GET /health/ready: nil when the server is ready.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/health/ready"}, nil)
	return err
}
