package archonauth

import (
	"context"
	"errors"
	"fmt"
)

// Verdict is a tool server's decision about one action of an agent.
type Verdict struct {
	Decision
	AgentID   string       // "" when the token did not verify
	AgentType string       //
	Claims    *AgentClaims // the verified claims (offline only; nil online or when refused early)
}

// Authorizer decides whether the holder of an agent token may perform capability on res. A refusal
// is a Verdict with Allowed false; the error is for when no decision could be made (keys or server
// unreachable).
type Authorizer interface {
	Authorize(ctx context.Context, token, capability string, res Resource) (Verdict, error)
}

// Authorize verifies the token offline, then decides as the verify endpoint does: token
// (token_invalid, token_expired), capability, restrictions, resource. Revocations are not seen.
func (v *Verifier) Authorize(ctx context.Context, token, capability string, res Resource) (Verdict, error) {
	claims, err := v.Verify(ctx, token)
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) {
			return Verdict{Decision: deny(te.Reason, te.Detail)}, nil
		}
		return Verdict{}, err
	}
	return Verdict{Decision: claims.Decide(capability, res), AgentID: claims.AgentID,
		AgentType: claims.AgentType, Claims: claims}, nil
}

// OnlineAuthorizer asks the server (POST /api/v2/auth/agents/verify) for every decision, so
// revocations count at once (token_revoked). The client needs a service client's credentials
// (WithServiceClient) or an administrator's session.
type OnlineAuthorizer struct {
	Client *Client
}

// Authorize asks the server.
func (o OnlineAuthorizer) Authorize(ctx context.Context, token, capability string, res Resource) (Verdict, error) {
	if token == "" {
		return Verdict{Decision: deny(ReasonTokenInvalid, "no token")}, nil
	}
	d, err := o.Client.VerifyAgent(ctx, AgentVerifyRequest{Token: token, Capability: capability, Resource: &res})
	if err != nil {
		return Verdict{}, fmt.Errorf("archon-auth verify: %w", err)
	}
	v := Verdict{Decision: Decision{Allowed: d.Allowed, Reason: d.Reason}}
	if d.AgentID != nil {
		v.AgentID = *d.AgentID
	}
	if d.AgentType != nil {
		v.AgentType = *d.AgentType
	}
	return v, nil
}

// VerifyAndAsk checks the token offline first (cheap, and a forged or expired token never reaches the
// server) and asks the server only for tokens that verify, so revocations still count.
type VerifyAndAsk struct {
	Verifier *Verifier
	Online   OnlineAuthorizer
}

// Authorize runs the offline check, then the online one.
func (va VerifyAndAsk) Authorize(ctx context.Context, token, capability string, res Resource) (Verdict, error) {
	offline, err := va.Verifier.Authorize(ctx, token, capability, res)
	if err != nil || !offline.Allowed {
		return offline, err
	}
	online, err := va.Online.Authorize(ctx, token, capability, res)
	if err != nil {
		return Verdict{}, err
	}
	online.Claims = offline.Claims
	return online, nil
}
