"""The tool-server kit: the restriction rules, offline (JWKS) and online (verify endpoint)
authorizers, the ``act`` chain, and an ASGI guard that requires a capability for a route."""
from .asgi import CapabilityGuard, bearer_token
from .inclusion import branch_pattern_within, narrow, path_pattern_within
from .restrictions import (ParsedRestrictions, RestrictionsError, branch_matches, branch_valid,
                           decide, format_size, parse_restrictions, parse_size, path_matches,
                           path_valid)
from .verifier import (AgentTokenError, AgentTokenVerifier, Authorizer, Decision, OfflineAuthorizer,
                       OnlineAuthorizer, actor_chain)

__all__ = [
    "AgentTokenError", "AgentTokenVerifier", "Authorizer", "CapabilityGuard", "Decision",
    "OfflineAuthorizer", "OnlineAuthorizer", "ParsedRestrictions", "RestrictionsError",
    "actor_chain", "bearer_token", "branch_matches", "branch_pattern_within", "branch_valid",
    "decide", "format_size", "narrow", "parse_restrictions", "parse_size", "path_matches",
    "path_pattern_within", "path_valid",
]
