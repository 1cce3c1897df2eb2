// Webhooks through the SDK, against the real binary and a real receiver on 127.0.0.1 (allowed by
// webhooks.allow_networks): an administrator registers, lists, reads, updates, rotates and deletes
// endpoints; deliveries arrive signed and verify with the `standardwebhooks` library; the delivery
// log and a redelivery; during a rotation both secrets verify.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { ArchonAuthClient, ArchonAuthError, type WebhookDelivery } from '@archon/auth-client';
import { startServer, type RunningServer } from '../support/server.js';
import { signedInAdmin, signedInUser } from '../support/users.js';
import { signedHeaders, startReceiver, type Received, type WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET_SHAPE = /^whsec_[A-Za-z0-9+/]{43}=$/;
const WEBHOOK_ID_SHAPE = /^wh_[0-9a-f]{32}$/;

let server: RunningServer;
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startReceiver();
  server = await startServer({ webhooks: { retry_schedule_seconds: [1, 1], allow_networks: ['127.0.0.0/8'] } });
});
afterAll(async () => {
  await receiver?.close();
  if (!server) return;
  expect(await server.stop()).toBe(0);
});

async function refusal(p: Promise<unknown>): Promise<ArchonAuthError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ArchonAuthError);
  return e as ArchonAuthError;
}

/** Verifies with standardwebhooks (throws when no signature matches) and returns the payload. */
function verified(secret: string, r: Received): { type: string; timestamp: string; data: Record<string, unknown> } {
  return new StandardWebhook(secret).verify(r.body, signedHeaders(r)) as { type: string; timestamp: string; data: Record<string, unknown> };
}

/** The endpoint's deliveries once none is pending (the log is written after the receiver answers). */
async function settledDeliveries(admin: ArchonAuthClient, id: string, n: number): Promise<WebhookDelivery[]> {
  for (let i = 0; ; i++) {
    const items = (await admin.listWebhookDeliveries(id, { limit: 100 })).items;
    if ((items.length >= n && items.every((d) => d.status !== 'pending')) || i >= 100) return items;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('webhooks', () => {
  it('an administrator manages endpoints; the secret is shown only on create and rotate', async () => {
    const { client: admin } = await signedInAdmin(server);
    const created = await admin.createWebhook({ url: 'http://127.0.0.1:9/unused', eventTypes: ['user.locked'], description: 'ops' });
    expect(created.id).toMatch(WEBHOOK_ID_SHAPE);
    expect(created.secret).toMatch(SECRET_SHAPE);
    expect(created).toMatchObject({ enabled: true, disabledReason: null, previousSecretExpiresAt: null, lastSuccessAt: null });
    const { secret, ...record } = created;
    expect(await admin.getWebhook(created.id)).toEqual(record);
    const page = await admin.listWebhooks({ limit: 100 });
    expect(page.items[0]!.id).toBe(created.id); // newest first
    expect(JSON.stringify(page)).not.toContain(secret);

    const updated = await admin.updateWebhook(created.id, { enabled: false, eventTypes: ['*'], description: '' });
    expect(updated).toMatchObject({ enabled: false, eventTypes: ['*'], description: '', url: created.url });
    expect((await admin.updateWebhook(created.id, { enabled: true })).enabled).toBe(true);

    await admin.deleteWebhook(created.id);
    expect(await refusal(admin.getWebhook(created.id))).toMatchObject({ status: 404, code: 'RESOURCE_NOT_FOUND' });
    expect(await refusal(admin.deleteWebhook(created.id))).toMatchObject({ status: 404 });
  });

  it('refuses a loopback address outside allow_networks and an unknown event type', async () => {
    const { client: admin } = await signedInAdmin(server);
    const ipv6 = await refusal(admin.createWebhook({ url: 'http://[::1]:9/', eventTypes: ['*'] }));
    expect(ipv6).toMatchObject({ status: 422, code: 'VALIDATION_CONSTRAINT_VIOLATION' });
    expect(ipv6.details.url).toBeDefined();
    const type = await refusal(admin.createWebhook({ url: receiver.url, eventTypes: ['user.nope' as 'user.locked'] }));
    expect(type).toMatchObject({ status: 422 });
    expect(type.details.event_types).toBeDefined();
  });

  it('delivers signed events that verify with standardwebhooks; the log, a redelivery, a rotation', async () => {
    const { client: admin } = await signedInAdmin(server);
    const hook = await admin.createWebhook({ url: receiver.url, eventTypes: ['user.registered'] });
    const before = receiver.received.length;
    const { user } = await signedInUser(server);
    const [first] = (await receiver.waitFor(before + 1)).slice(before);
    const event = verified(hook.secret, first!);
    expect(event).toMatchObject({ type: 'user.registered', data: { user_id: user.id } });
    const eventId = String(first!.headers['webhook-id']);
    expect(eventId).toMatch(/^msg_/);

    const [delivery] = await settledDeliveries(admin, hook.id, 1);
    expect(delivery).toMatchObject({ eventId, eventType: 'user.registered', status: 'succeeded', attempts: 1, nextAttemptAt: null });
    expect(delivery!.attemptLog).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200, error: null })]);
    expect((await admin.getWebhook(hook.id)).lastSuccessAt).not.toBeNull();

    const again = await admin.redeliverWebhook(hook.id, delivery!.id);
    expect(again).toMatchObject({ status: 'pending' });
    expect(again.deliveryId).not.toBe(delivery!.id);
    const [resent] = (await receiver.waitFor(before + 2)).slice(before + 1);
    expect(resent!.headers['webhook-id']).toBe(eventId);
    expect(resent!.body).toBe(first!.body);
    expect(verified(hook.secret, resent!).type).toBe('user.registered');
    expect(await refusal(admin.redeliverWebhook(hook.id, 999_999_999))).toMatchObject({ status: 404 });

    const rotated = await admin.rotateWebhookSecret(hook.id);
    expect(rotated.secret).toMatch(SECRET_SHAPE);
    expect(rotated.secret).not.toBe(hook.secret);
    expect(rotated.previousSecretExpiresAt).not.toBeNull();
    await signedInUser(server);
    const [during] = (await receiver.waitFor(before + 3)).slice(before + 2);
    const signatures = String(during!.headers['webhook-signature']).split(' ');
    const at = new Date(Number(during!.headers['webhook-timestamp']) * 1000);
    const id = String(during!.headers['webhook-id']);
    expect(signatures).toEqual([new StandardWebhook(rotated.secret).sign(id, at, during!.body),
      new StandardWebhook(hook.secret).sign(id, at, during!.body)]); // new first
    expect(verified(rotated.secret, during!).type).toBe('user.registered');
    expect(verified(hook.secret, during!).type).toBe('user.registered');
    expect(() => verified(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, during!)).toThrow();
    await admin.deleteWebhook(hook.id);
  });

  it('a service client with a webhooks:manage API key alone manages endpoints', async () => {
    const { client: admin } = await signedInAdmin(server);
    const { key } = await admin.createApiKey({ name: 'hook manager', scopes: ['webhooks:manage'] });
    const service = new ArchonAuthClient({ baseURL: server.baseUrl, apiKey: key, retries: 0 });
    const hook = await service.createWebhook({ url: 'http://127.0.0.1:9/svc', eventTypes: ['*'], enabled: false });
    expect((await service.listWebhooks({ limit: 100 })).items.map((w) => w.id)).toContain(hook.id);
    expect((await service.listWebhookDeliveries(hook.id)).items).toEqual([]);
    await service.deleteWebhook(hook.id);
    const { key: readOnly } = await admin.createApiKey({ name: 'reader', scopes: ['users:read'] });
    const refused = await refusal(new ArchonAuthClient({ baseURL: server.baseUrl, apiKey: readOnly, retries: 0 }).listWebhooks());
    expect(refused).toMatchObject({ status: 403 });
    expect(refused.details.required_scope).toBe('webhooks:manage');
  });

  it('a non-admin cannot manage webhooks', async () => {
    const { client } = await signedInUser(server);
    expect(await refusal(client.listWebhooks())).toMatchObject({ status: 403, code: 'AUTH_INSUFFICIENT_PERMISSIONS' });
    expect(await refusal(client.createWebhook({ url: receiver.url, eventTypes: ['*'] }))).toMatchObject({ status: 403 });
  });
});
