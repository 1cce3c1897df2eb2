// Offline verification of agent tokens for tool servers (docs/tokens.md, docs/agents.md "What a
// tool server must check"): keys from the JWKS named by the discovery document, never from the token.
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';
import { checkResource, parseRestrictions } from './restrictions-policy.js';
import type { Resource } from './restrictions.js';

export const AGENT_AUDIENCE = 'archon-agent-system';
export const AGENT_TYP = 'agent+jwt';

export interface ActClaim { sub: string; act?: ActClaim }

export interface AgentClaims extends JWTPayload {
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  type: 'agent';
  agent_id: string;
  agent_type: string;
  capabilities: string[];
  restrictions: unknown;
  task_context?: Record<string, unknown>;
  session_id?: string;
  depth?: number;
  act?: ActClaim;
}

export type ToolServerReason = 'allowed' | 'token_invalid' | 'token_expired' | 'capability_not_granted' | 'restrictions_invalid'
  | 'invalid_path' | 'path_not_allowed' | 'invalid_branch' | 'branch_not_allowed' | 'size_exceeds_limit';

export interface Authorization {
  allowed: boolean;
  reason: ToolServerReason;
  /** Who acted: the token's agent, then its ancestors, nearest first. Empty when the token did not verify. */
  actors: string[];
  /** The user on whose behalf the chain acts. */
  user?: string;
  claims?: AgentClaims;
  detail?: string;
}

export interface VerifierOptions {
  /** Clock skew allowed on exp, iat and nbf (docs/tokens.md: archon-auth allows 30 s). */
  leewaySeconds?: number;
  /** An unknown kid refetches the key set at most once per this interval (default 30 s). */
  refetchIntervalMs?: number;
  /** How long a fetched key set is used before it is fetched again (default 300 s, its Cache-Control). */
  cacheMaxAgeMs?: number;
  fetch?: typeof fetch;
}

export interface Discovery { issuer: string; jwks_uri: string; agent_token_signing_alg_values_supported?: string[] }

/** The agent, then `act.sub`, `act.act.sub`, ...: who acted, nearest ancestor first. */
export function actorChain(claims: Pick<AgentClaims, 'agent_id' | 'act'>): string[] {
  const actors = [claims.agent_id];
  for (let a = claims.act; a; a = a.act) actors.push(a.sub);
  return actors;
}

export class AgentTokenVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(readonly discovery: Discovery, private readonly options: VerifierOptions = {}) {
    const f = options.fetch;
    this.jwks = createRemoteJWKSet(new URL(discovery.jwks_uri), {
      cooldownDuration: options.refetchIntervalMs ?? 30_000,
      cacheMaxAge: options.cacheMaxAgeMs ?? 300_000,
      ...(f ? { [customFetch]: (url: string, init: RequestInit) => f(url, init) } : {}),
    });
  }

  /** Reads issuer and jwks_uri from `<origin>/.well-known/openid-configuration` (never hard-coded). */
  static async fromServer(authURL: string, options: VerifierOptions = {}): Promise<AgentTokenVerifier> {
    const origin = new URL(authURL).origin;
    const res = await (options.fetch ?? fetch)(`${origin}/.well-known/openid-configuration`);
    if (!res.ok) throw new Error(`discovery document: HTTP ${res.status}`);
    const doc = (await res.json()) as Discovery;
    if (typeof doc.issuer !== 'string' || typeof doc.jwks_uri !== 'string') throw new Error('discovery document: issuer or jwks_uri missing');
    return new AgentTokenVerifier(doc, options);
  }

  /** Verifies signature, typ, alg, iss, aud, type and the required claims; throws jose's errors. */
  async verify(token: string): Promise<AgentClaims> {
    const { payload } = await jwtVerify(token, this.jwks, {
      issuer: this.discovery.issuer,
      audience: AGENT_AUDIENCE,
      typ: AGENT_TYP,
      algorithms: this.discovery.agent_token_signing_alg_values_supported ?? ['ES256'],
      requiredClaims: ['sub', 'jti', 'iat', 'exp'],
      clockTolerance: this.options.leewaySeconds ?? 30,
    });
    if (payload.type !== 'agent') throw new errors.JWTClaimValidationFailed('not an agent token', payload, 'type', 'check_failed');
    if (typeof payload.agent_id !== 'string' || !Array.isArray(payload.capabilities)) {
      throw new errors.JWTClaimValidationFailed('agent_id or capabilities missing', payload, 'agent_id', 'missing');
    }
    return payload as AgentClaims;
  }

  /**
   * The tool server's decision: verify the token, check the capability (exact string), check the
   * resource against the restrictions, and name the actor chain. Offline: revocations are not seen
   * (ask POST /api/v2/auth/agents/verify where they must count).
   */
  async authorize(token: string, capability: string, resource: Resource = {}): Promise<Authorization> {
    let claims: AgentClaims;
    try {
      claims = await this.verify(token);
    } catch (e) {
      const reason = e instanceof errors.JWTExpired ? 'token_expired' : 'token_invalid';
      return { allowed: false, reason, actors: [], detail: (e as Error).message };
    }
    const base = { actors: actorChain(claims), user: claims.sub, claims };
    if (!claims.capabilities.includes(capability)) return { ...base, allowed: false, reason: 'capability_not_granted' };
    const parsed = parseRestrictions(claims.restrictions);
    if (!parsed.ok) return { ...base, allowed: false, reason: 'restrictions_invalid', detail: parsed.error };
    const d = checkResource(parsed.value, resource);
    return { ...base, allowed: d.allowed, reason: d.reason as ToolServerReason, detail: d.detail };
  }
}
