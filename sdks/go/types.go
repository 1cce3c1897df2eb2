package archonauth

import "encoding/json"

// The request and response types of the API (openapi/openapi.yaml), snake_case on the wire.

// User is a user account as GET /users/me and the admin endpoints show it.
type User struct {
	ID            string         `json:"id"`
	Email         string         `json:"email"`
	Name          string         `json:"name"`
	Roles         []string       `json:"roles"`
	Permissions   []string       `json:"permissions"`
	IsActive      bool           `json:"is_active"`
	EmailVerified bool           `json:"email_verified"`
	Preferences   map[string]any `json:"preferences"`
	CreatedAt     string         `json:"created_at"`
	LastLogin     *string        `json:"last_login"`
}

// RegisterRequest is POST /auth/register.
type RegisterRequest struct {
	Email            string `json:"email"`
	Password         string `json:"password"`
	Name             string `json:"name"`
	TermsAccepted    bool   `json:"terms_accepted"`
	MarketingConsent *bool  `json:"marketing_consent,omitempty"`
}

// RegisterResult is its answer.
type RegisterResult struct {
	UserID                string `json:"user_id"`
	Email                 string `json:"email"`
	EmailVerificationSent bool   `json:"email_verification_sent"`
}

// LoginRequest is POST /auth/login. The client always asks for the refresh token in the body
// (return_refresh_token), which it needs to refresh.
type LoginRequest struct {
	Email      string         `json:"email"`
	Password   string         `json:"password"`
	RememberMe bool           `json:"remember_me,omitempty"`
	DeviceInfo map[string]any `json:"device_info,omitempty"`
}

type loginBody struct {
	LoginRequest
	ReturnRefreshToken bool `json:"return_refresh_token"`
}

// LoginResult is its answer.
type LoginResult struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	SessionID    string `json:"session_id"`
	User         User   `json:"user"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// RefreshRequest is POST /auth/refresh with the refresh token in the body.
type RefreshRequest struct {
	RefreshToken       string `json:"refresh_token,omitempty"`
	ReturnRefreshToken bool   `json:"return_refresh_token,omitempty"`
}

// RefreshResult is its answer.
type RefreshResult struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	SessionID    string `json:"session_id"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// LogoutScope says which sessions POST /auth/logout ends.
type LogoutScope string

// The logout scopes.
const (
	LogoutLocal  LogoutScope = "local"  // this session
	LogoutOthers LogoutScope = "others" // every other session of the user
	LogoutGlobal LogoutScope = "global" // every session of the user
)

// UpdateProfileRequest is PUT /users/me; nil fields are left unchanged.
type UpdateProfileRequest struct {
	Name        *string        `json:"name,omitempty"`
	Preferences map[string]any `json:"preferences,omitempty"`
}

// Session is one of a user's sessions.
type Session struct {
	SessionID     string         `json:"session_id"`
	DeviceInfo    map[string]any `json:"device_info"`
	CreatedAt     string         `json:"created_at"`
	LastAccessed  string         `json:"last_accessed"`
	ExpiresAt     string         `json:"expires_at"`
	IsActive      bool           `json:"is_active"`
	Current       bool           `json:"current"`
	ClientAddress string         `json:"client_address"`
	UserAgent     string         `json:"user_agent"`
}

// AuditEvent is one event of the audit trail.
type AuditEvent struct {
	Seq           int64          `json:"seq"`
	At            string         `json:"at"`
	Event         string         `json:"event"`
	Outcome       string         `json:"outcome"`
	Actor         string         `json:"actor"`
	UserID        *string        `json:"user_id"`
	RequestID     string         `json:"request_id"`
	ClientAddress string         `json:"client_address"`
	UserAgent     string         `json:"user_agent"`
	Details       map[string]any `json:"details"`
}

// Page is one page of a collection.
type Page[T any] struct {
	Items      []T
	Pagination Pagination
}

// ListUsersParams filters GET /users; zero values are not sent.
type ListUsersParams struct {
	Page      int
	Limit     int    // 1..100, default 20
	SortBy    string // created_at, email, name, last_login
	SortOrder string // asc, desc
	Query     string // q
	Role      string
	IsActive  *bool
}

// AdminUserUpdate is PATCH /users/{id}; nil fields are left unchanged.
type AdminUserUpdate struct {
	Name     *string  `json:"name,omitempty"`
	Roles    []string `json:"roles,omitempty"`
	IsActive *bool    `json:"is_active,omitempty"`
}

// AuditParams filters GET /audit and GET /users/me/security-events.
type AuditParams struct {
	Page   int
	Limit  int
	UserID string
	Event  string
}

// ---- agents ---------------------------------------------------------------------------------------

// TaskContext describes the agent's task; EstimatedDuration is in seconds.
type TaskContext struct {
	ProjectID         string `json:"project_id,omitempty"`
	TaskType          string `json:"task_type,omitempty"`
	EstimatedDuration int64  `json:"estimated_duration,omitempty"`
}

// AgentAuthenticateRequest is POST /auth/agents/authenticate.
type AgentAuthenticateRequest struct {
	AgentType             string       `json:"agent_type"`
	CapabilitiesRequested []string     `json:"capabilities_requested"`
	TaskContext           *TaskContext `json:"task_context,omitempty"`
}

// AgentRestrictionsRequest is the narrower restrictions a delegation asks for; empty fields inherit.
// MaxFileSize is a size string ("2MB").
type AgentRestrictionsRequest struct {
	FilePaths   []string `json:"file_paths,omitempty"`
	GitBranches []string `json:"git_branches,omitempty"`
	MaxFileSize string   `json:"max_file_size,omitempty"`
}

// AgentDelegateRequest is POST /auth/agents/delegate.
type AgentDelegateRequest struct {
	AgentType             string                    `json:"agent_type"`
	CapabilitiesRequested []string                  `json:"capabilities_requested"`
	Restrictions          *AgentRestrictionsRequest `json:"restrictions,omitempty"`
	TaskContext           *TaskContext              `json:"task_context,omitempty"`
}

// AgentTokenGrant is the answer of authenticate and delegate.
type AgentTokenGrant struct {
	AgentToken          string            `json:"agent_token"`
	AgentID             string            `json:"agent_id"`
	CapabilitiesGranted []string          `json:"capabilities_granted"`
	CapabilitiesDenied  []string          `json:"capabilities_denied"`
	DenialReasons       map[string]string `json:"denial_reasons"`
	ExpiresIn           int64             `json:"expires_in"`
	Restrictions        Restrictions      `json:"restrictions"`
}

// AgentType is one entry of the catalog.
type AgentType struct {
	Name                    string       `json:"name"`
	Description             string       `json:"description"`
	Capabilities            []string     `json:"capabilities"`
	RequiresApproval        []string     `json:"requires_approval"`
	DefaultRestrictions     Restrictions `json:"default_restrictions"`
	MaxTokenLifetimeSeconds int64        `json:"max_token_lifetime_seconds"`
	Runnable                bool         `json:"runnable"`
}

// AgentVerifyRequest is POST /auth/agents/verify. Token is the agent token a tool server was handed;
// leave it empty when an agent asks about itself (VerifySelf).
type AgentVerifyRequest struct {
	Token      string    `json:"token,omitempty"`
	Capability string    `json:"capability"`
	Resource   *Resource `json:"resource,omitempty"`
}

// AgentVerifyDecision is the server's decision.
type AgentVerifyDecision struct {
	Allowed   bool    `json:"allowed"`
	Reason    string  `json:"reason"`
	AgentID   *string `json:"agent_id"`
	AgentType *string `json:"agent_type"`
}

// AgentTokenRecord is one of the user's live agent tokens (GET /auth/agents/tokens).
type AgentTokenRecord struct {
	AgentID       string       `json:"agent_id"`
	AgentType     string       `json:"agent_type"`
	ParentAgentID *string      `json:"parent_agent_id"`
	RootAgentID   string       `json:"root_agent_id"`
	Depth         int          `json:"depth"`
	Capabilities  []string     `json:"capabilities"`
	Restrictions  Restrictions `json:"restrictions"`
	SessionID     string       `json:"session_id"`
	CreatedAt     int64        `json:"created_at"`
	ExpiresAt     int64        `json:"expires_at"`
}

// AgentGrant lets a role run an agent type up to a capability ceiling ("*": everything).
type AgentGrant struct {
	AgentType    string   `json:"agent_type"`
	Capabilities []string `json:"capabilities,omitempty"`
}

// AgentGrants is a role's grants.
type AgentGrants struct {
	Role   string       `json:"role"`
	Grants []AgentGrant `json:"grants"`
}

// ---- tokens and discovery -----------------------------------------------------------------------------

// Discovery is GET /.well-known/openid-configuration (RFC 8414-shaped metadata).
type Discovery struct {
	Issuer                                    string   `json:"issuer"`
	JWKSURI                                   string   `json:"jwks_uri"`
	IntrospectionEndpoint                     string   `json:"introspection_endpoint"`
	RevocationEndpoint                        string   `json:"revocation_endpoint"`
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	TokenTypesSupported                       []string `json:"token_types_supported"`
	AccessTokenSigningAlgValuesSupported      []string `json:"access_token_signing_alg_values_supported"`
	AgentTokenSigningAlgValuesSupported       []string `json:"agent_token_signing_alg_values_supported"`
	ServiceDocumentation                      string   `json:"service_documentation"`
}

// Introspection is an RFC 7662 answer. Active false means nothing else is set.
type Introspection struct {
	Active       bool            `json:"active"`
	TokenType    string          `json:"token_type,omitempty"`
	Iss          string          `json:"iss,omitempty"`
	Aud          string          `json:"aud,omitempty"`
	Sub          string          `json:"sub,omitempty"`
	Iat          int64           `json:"iat,omitempty"`
	Exp          int64           `json:"exp,omitempty"`
	Nbf          int64           `json:"nbf,omitempty"`
	Jti          string          `json:"jti,omitempty"`
	Type         string          `json:"type,omitempty"`
	Roles        []string        `json:"roles,omitempty"`
	SessionID    string          `json:"session_id,omitempty"`
	AgentID      string          `json:"agent_id,omitempty"`
	AgentType    string          `json:"agent_type,omitempty"`
	Capabilities []string        `json:"capabilities,omitempty"`
	Restrictions json.RawMessage `json:"restrictions,omitempty"`
	TaskContext  map[string]any  `json:"task_context,omitempty"`
	Depth        int             `json:"depth,omitempty"`
	Act          *Actor          `json:"act,omitempty"`
}

// Actor is an RFC 8693 act claim: the agent that acted, and who it acted for.
type Actor struct {
	Sub string `json:"sub"`
	Act *Actor `json:"act,omitempty"`
}

// Chain lists the actors from this one outwards (nearest ancestor first).
func (a *Actor) Chain() []string {
	var out []string
	for x := a; x != nil; x = x.Act {
		out = append(out, x.Sub)
	}
	return out
}

// JWKSet is the published key set: one key per token kind, two during a rotation.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// JWK is one public key (RSA: N, E; EC: Crv, X, Y; OKP: Crv, X).
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// HealthReport is GET /health's data.
type HealthReport struct {
	Status        string                 `json:"status"`
	Timestamp     string                 `json:"timestamp"`
	Version       string                 `json:"version"`
	ServerVersion string                 `json:"server_version,omitempty"`
	Uptime        float64                `json:"uptime"`
	Checks        map[string]HealthCheck `json:"checks"`
	Performance   map[string]float64     `json:"performance"`
}

// HealthCheck is one dependency's check.
type HealthCheck struct {
	Status         string  `json:"status"`
	ResponseTimeMS float64 `json:"response_time_ms"`
	Message        string  `json:"message,omitempty"`
}

// APIKeyScope is what an API key may do (docs/api-keys.md).
type APIKeyScope = string

// The scopes an API key may hold.
const (
	ScopeAgentsVerify     APIKeyScope = "agents:verify"
	ScopeTokensIntrospect APIKeyScope = "tokens:introspect"
	ScopeTokensRevoke     APIKeyScope = "tokens:revoke"
	ScopeUsersRead        APIKeyScope = "users:read"
	ScopeAuditRead        APIKeyScope = "audit:read"
	ScopeWebhooksManage   APIKeyScope = "webhooks:manage"
)

// APIKeyCreate is POST /admin/api-keys. ExpiresIn is in seconds (60 to 157680000); 0: no expiry.
type APIKeyCreate struct {
	Name      string        `json:"name"`
	Scopes    []APIKeyScope `json:"scopes"`
	ExpiresIn int64         `json:"expires_in,omitempty"`
}

// APIKey is an API key's record; the secret itself is never in it.
type APIKey struct {
	ID         string        `json:"id"`
	Name       string        `json:"name"`
	Scopes     []APIKeyScope `json:"scopes"`
	Prefix     string        `json:"prefix"` // the key's first 14 characters, for people to recognise it
	CreatedAt  string        `json:"created_at"`
	ExpiresAt  *string       `json:"expires_at"`
	LastUsedAt *string       `json:"last_used_at"`
	RevokedAt  *string       `json:"revoked_at"`
	CreatedBy  string        `json:"created_by"`
}

// CreatedAPIKey is the answer to CreateAPIKey: the record and, this once, the key.
type CreatedAPIKey struct {
	APIKey
	Key string `json:"key"`
}

// String redacts the key, so that printing or logging the answer never leaks it.
func (k CreatedAPIKey) String() string {
	return "archonauth.CreatedAPIKey{ID:" + k.ID + " Key:[redacted]}"
}

// GoString redacts as String does (for %#v).
func (k CreatedAPIKey) GoString() string { return k.String() }

// ListAPIKeysParams pages GET /admin/api-keys (zero values: the server's defaults).
type ListAPIKeysParams struct {
	Page  int
	Limit int
}

// WebhookEventType is what an endpoint subscribes to (docs/webhooks.md).
type WebhookEventType = string

// The event types; EventAll subscribes to every one.
const (
	EventAll                       WebhookEventType = "*"
	EventUserRegistered            WebhookEventType = "user.registered"
	EventUserEmailVerified         WebhookEventType = "user.email_verified"
	EventUserLocked                WebhookEventType = "user.locked"
	EventUserPasswordChanged       WebhookEventType = "user.password_changed"
	EventUserDeactivated           WebhookEventType = "user.deactivated"
	EventSessionRevoked            WebhookEventType = "session.revoked"
	EventRefreshTokenReuseDetected WebhookEventType = "refresh_token.reuse_detected"
	EventAgentTokenIssued          WebhookEventType = "agent.token_issued"
	EventAgentDelegated            WebhookEventType = "agent.delegated"
	EventAgentTokenRevoked         WebhookEventType = "agent.token_revoked"
	EventWebhookEndpointDisabled   WebhookEventType = "webhook.endpoint_disabled"
)

// WebhookCreate is POST /admin/webhooks. Enabled nil: enabled.
type WebhookCreate struct {
	URL         string             `json:"url"`
	EventTypes  []WebhookEventType `json:"event_types"`
	Description string             `json:"description,omitempty"`
	Enabled     *bool              `json:"enabled,omitempty"`
}

// WebhookUpdate is PATCH /admin/webhooks/{id}: only the fields set are changed.
type WebhookUpdate struct {
	URL         *string            `json:"url,omitempty"`
	EventTypes  []WebhookEventType `json:"event_types,omitempty"`
	Description *string            `json:"description,omitempty"`
	Enabled     *bool              `json:"enabled,omitempty"`
}

// Webhook is an endpoint's record; the signing secret is never in it.
type Webhook struct {
	ID                      string             `json:"id"`
	URL                     string             `json:"url"`
	Description             string             `json:"description"`
	EventTypes              []WebhookEventType `json:"event_types"`
	Enabled                 bool               `json:"enabled"`
	DisabledReason          *string            `json:"disabled_reason"`            // why the server disabled it
	PreviousSecretExpiresAt *string            `json:"previous_secret_expires_at"` // the old secret signs until then
	LastSuccessAt           *string            `json:"last_success_at"`
	CreatedAt               string             `json:"created_at"`
	UpdatedAt               string             `json:"updated_at"`
}

// CreatedWebhook is the answer to CreateWebhook and RotateWebhookSecret: the record and, this once,
// the secret.
type CreatedWebhook struct {
	Webhook
	Secret string `json:"secret"`
}

// String redacts the secret, so that printing or logging the answer never leaks it.
func (w CreatedWebhook) String() string {
	return "archonauth.CreatedWebhook{ID:" + w.ID + " URL:" + w.URL + " Secret:[redacted]}"
}

// GoString redacts as String does (for %#v).
func (w CreatedWebhook) GoString() string { return w.String() }

// WebhookAttempt is one attempt of a delivery. StatusCode nil: no HTTP answer (connect failure,
// timeout, a destination the server refused).
type WebhookAttempt struct {
	Attempt    int     `json:"attempt"` // 1-based
	At         string  `json:"at"`
	StatusCode *int    `json:"status_code"`
	LatencyMS  int64   `json:"latency_ms"`
	Error      *string `json:"error"`
}

// WebhookDelivery is one event's delivery to an endpoint. EventID is the webhook-id header, the same
// on every attempt and redelivery. Status: pending, succeeded or failed.
type WebhookDelivery struct {
	ID            int64            `json:"id"`
	EventID       string           `json:"event_id"`
	EventType     WebhookEventType `json:"event_type"`
	Status        string           `json:"status"`
	Attempts      int              `json:"attempts"`
	NextAttemptAt *string          `json:"next_attempt_at"`
	CreatedAt     string           `json:"created_at"`
	CompletedAt   *string          `json:"completed_at"`
	AttemptLog    []WebhookAttempt `json:"attempt_log"`
}

// Redelivery is the answer to RedeliverWebhook: the new delivery, pending.
type Redelivery struct {
	DeliveryID int64  `json:"delivery_id"`
	Status     string `json:"status"`
}

// ListWebhooksParams pages GET /admin/webhooks (zero values: the server's defaults).
type ListWebhooksParams struct {
	Page  int
	Limit int
}

// ListWebhookDeliveriesParams pages GET /admin/webhooks/{id}/deliveries.
type ListWebhookDeliveriesParams struct {
	Page  int
	Limit int
}
