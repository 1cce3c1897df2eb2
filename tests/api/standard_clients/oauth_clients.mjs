// Drives archon-auth with two independent, widely used libraries, as a resource server built on
// them would: oauth4webapi (RFC 8414 discovery, RFC 7662 introspection, RFC 7009 revocation,
// client_secret_basic and the public-client method `none`) and jose (offline verification from
// the discovery document's jwks_uri). Input: one JSON object on stdin. Output: one JSON object
// of results on stdout; any library refusal is reported, never swallowed.
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const input = JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (c) => { text += c; });
  process.stdin.on('end', () => resolve(text));
}));
const insecure = { [oauth.allowInsecureRequests]: true };  // http:// on loopback, in tests only
const results = {};

async function step(name, fn) {
  try {
    results[name] = { ok: true, value: await fn() };
  } catch (e) {
    results[name] = { ok: false, error: `${e.name}: ${e.message}`, code: e.code ?? null };
  }
}

const issuer = new URL(input.issuer);
let as;
await step('discovery_oauth2', async () => {
  const r = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure });
  as = await oauth.processDiscoveryResponse(issuer, r);
  return { issuer: as.issuer, jwks_uri: as.jwks_uri };
});
await step('discovery_oidc', async () => {
  const r = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure });
  const doc = await oauth.processDiscoveryResponse(issuer, r);
  return { issuer: doc.issuer };
});

const service = { client_id: input.client_id };
const basic = oauth.ClientSecretBasic(input.client_secret);
async function introspect(token) {
  const r = await oauth.introspectionRequest(as, service, basic, token, insecure);
  return oauth.processIntrospectionResponse(as, service, r);
}
await step('introspect_access', () => introspect(input.access_token));
await step('introspect_agent', () => introspect(input.agent_token));
await step('introspect_garbage', () => introspect('not-a-token'));

// A public client (token_endpoint_auth_method "none") revokes its own token: client_id only.
const publicClient = { client_id: 'archon-web', token_endpoint_auth_method: 'none' };
await step('revoke_none', async () => {
  const r = await oauth.revocationRequest(as, publicClient, oauth.None(), input.revoke_public, insecure);
  await oauth.processRevocationResponse(r);
  return true;
});
await step('introspect_after_revoke_none', () => introspect(input.revoke_public));
await step('revoke_basic', async () => {
  const r = await oauth.revocationRequest(as, service, basic, input.revoke_basic, insecure);
  await oauth.processRevocationResponse(r);
  return true;
});
await step('introspect_after_revoke_basic', () => introspect(input.revoke_basic));

const jwks = createRemoteJWKSet(new URL(as.jwks_uri));
async function verify(token, typ, audience) {
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: as.issuer, audience, typ });
  return { sub: payload.sub, alg: protectedHeader.alg, typ: protectedHeader.typ };
}
await step('jose_access', () => verify(input.access_token, 'at+jwt', 'archon-api'));
await step('jose_agent', () => verify(input.agent_token, 'agent+jwt', 'archon-agent-system'));
await step('jose_wrong_audience', () => verify(input.access_token, 'at+jwt', 'archon-agent-system'));

process.stdout.write(JSON.stringify(results));
