package archonauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Guard turns an Authorizer into net/http middleware for a tool server.
type Guard struct {
	auth       Authorizer
	tokenFrom  func(*http.Request) string
	onDecision func(*http.Request, Verdict, string)
	realm      string
}

// GuardOption configures a Guard.
type GuardOption func(*Guard)

// WithTokenFrom replaces where the agent token is read (default: Authorization: Bearer).
func WithTokenFrom(f func(*http.Request) string) GuardOption {
	return func(g *Guard) { g.tokenFrom = f }
}

// WithDecisionHook is called with every decision (allowed or not) and its capability: record it with
// the actor chain (Verdict.Claims.Actors()) for the audit trail.
func WithDecisionHook(f func(r *http.Request, v Verdict, capability string)) GuardOption {
	return func(g *Guard) { g.onDecision = f }
}

// WithRealm sets the realm of WWW-Authenticate on 401 answers (default "archon-tool-server").
func WithRealm(realm string) GuardOption { return func(g *Guard) { g.realm = realm } }

// NewGuard returns a Guard deciding with a (a *Verifier offline, OnlineAuthorizer, or VerifyAndAsk).
func NewGuard(a Authorizer, opts ...GuardOption) *Guard {
	g := &Guard{auth: a, tokenFrom: BearerToken, realm: "archon-tool-server"}
	for _, o := range opts {
		o(g)
	}
	return g
}

// BearerToken reads "Authorization: Bearer <token>" ("" when absent).
func BearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

type verdictKey struct{}

// VerdictFromContext returns the allowed Verdict that RequireCapability put in the request's context.
func VerdictFromContext(ctx context.Context) (Verdict, bool) {
	v, ok := ctx.Value(verdictKey{}).(Verdict)
	return v, ok
}

// RequireCapability lets a request through only when its agent token allows capability on the
// resource that resourceFrom names (nil: no resource, only the capability is checked). Otherwise it
// answers in the API's error envelope: 401 AUTH_TOKEN_INVALID / AUTH_TOKEN_EXPIRED for a missing or
// refused token, 403 AUTH_INSUFFICIENT_PERMISSIONS for a refused action, 503 when no decision could be
// made; error.details.reason is the decision's reason.
func (g *Guard) RequireCapability(capability string, resourceFrom func(*http.Request) Resource) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var res Resource
			if resourceFrom != nil {
				res = resourceFrom(r)
			}
			token := g.tokenFrom(r)
			var verdict Verdict
			var err error
			if token == "" {
				verdict = Verdict{Decision: deny(ReasonTokenInvalid, "no agent token")}
			} else {
				verdict, err = g.auth.Authorize(r.Context(), token, capability, res)
			}
			if err != nil {
				writeError(w, r, http.StatusServiceUnavailable, CodeSystemServiceUnavailable,
					"the authorization service is unavailable", map[string]any{}, "")
				return
			}
			if g.onDecision != nil {
				g.onDecision(r, verdict, capability)
			}
			if !verdict.Allowed {
				g.refuse(w, r, verdict, capability)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), verdictKey{}, verdict)))
		})
	}
}

func (g *Guard) refuse(w http.ResponseWriter, r *http.Request, v Verdict, capability string) {
	details := map[string]any{"reason": v.Reason, "capability": capability}
	if v.Detail != "" && (v.Reason == ReasonInvalidPath || v.Reason == ReasonInvalidBranch) {
		details["detail"] = v.Detail
	}
	switch v.Reason {
	case ReasonTokenInvalid, ReasonTokenExpired, ReasonTokenRevoked:
		code, msg := CodeAuthTokenInvalid, "the agent token is not valid"
		if v.Reason == ReasonTokenExpired {
			code, msg = CodeAuthTokenExpired, "the agent token has expired"
		} else if v.Reason == ReasonTokenRevoked {
			msg = "the agent token has been revoked"
		}
		writeError(w, r, http.StatusUnauthorized, code, msg, details,
			`Bearer realm="`+g.realm+`", error="invalid_token"`)
	default:
		writeError(w, r, http.StatusForbidden, CodeAuthInsufficientPermissions,
			"the agent token does not allow "+capability+" here ("+v.Reason+")", details, "")
	}
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// writeError answers in the API's envelope (docs/http-conventions.md).
func writeError(w http.ResponseWriter, r *http.Request, status int, code Code, message string, details map[string]any, challenge string) {
	id := r.Header.Get("X-Request-ID")
	if !requestIDPattern.MatchString(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = "req_" + hex.EncodeToString(b[:])
	}
	body := map[string]any{
		"success": false,
		"data":    nil,
		"error": map[string]any{
			"code": code, "message": message, "details": details, "trace_id": id,
			"documentation_url": "https://docs.archon.ai/errors/" + strings.ToLower(strings.ReplaceAll(string(code), "_", "-")),
		},
		"meta": map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339), "version": "2.0.0", "request_id": id},
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Request-ID", id)
	if challenge != "" {
		h.Set("WWW-Authenticate", challenge)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
