// The console's API keys and webhooks pages in Chromium against the real archon-auth (issues 25,
// 22): a key created in the console is shown once, works with X-API-Key, and is refused (401) once
// revoked there; an endpoint pointed at a receiver in this process gets a signed event (the secret
// shown once verifies it), its delivery appears in the log and is redelivered; rotation, disable,
// a failing endpoint's attempts and auto-disable, delete. Then screenshots and axe of the pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startConsoleEnv } from './harness.mjs';
import { apiClient, waitFor } from './api.mjs';
import { ARTIFACTS, launch, watch } from './browser.mjs';
import { allFindings, contextForAxe, signIn, visit } from './tour.mjs';
import { signedWith, startReceiver } from './receiver.mjs';

const PASSWORD = 'console e2e passphrase 42';
const stamp = Date.now();
const WEBHOOKS = { allow_networks: ['127.0.0.0/8'], retry_schedule_seconds: [1, 1] };
let env, api, receiver, context, page, problems, adminToken;
const state = {}; // what one test leaves for the next (the journey runs in order)

before(async () => {
  env = await startConsoleEnv({ config: { webhooks: WEBHOOKS } });
  api = apiClient(env.archonUrl);
  receiver = await startReceiver();
  adminToken = (await api.login(env.admin.email, env.admin.password)).access_token;
  context = await launch();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.origin });
  page = context.pages()[0] ?? await context.newPage();
  problems = watch(page);
  console.log(`# console served by: ${env.servedBy}`);
});

after(async () => {
  await context?.close();
  await receiver?.close();
  if (!env) return;
  const code = await env.stop();
  assert.equal(code, 0, 'archon-auth exits cleanly');
  assert.doesNotMatch(env.archonStderr(), /AddressSanitizer|runtime error:/);
});

const nav = (name) => page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name });
const usersWithKey = (key) => fetch(`${env.archonUrl}/api/v2/users`, { headers: { 'X-API-Key': key } });
const register = (email) => api.ok('POST', '/auth/register', { body: { email, password: PASSWORD, name: 'Hook Test', terms_accepted: true } });

test('an administrator sees the API keys and Webhooks sections', async () => {
  await page.goto(env.consoleUrl);
  await signIn(page, env.admin.email, env.admin.password);
  await nav('API keys').waitFor();
  await nav('Webhooks').waitFor();
  await nav('API keys').click();
  await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
  await page.getByText('No API keys yet.').waitFor();
});

test('API keys: the server validation messages beside their fields', async () => {
  await page.getByRole('button', { name: 'Create key' }).click();
  await page.getByTestId('api-key-error').filter({ hasText: /VALIDATION_CONSTRAINT_VIOLATION/ }).waitFor();
  const name = page.getByLabel('Name', { exact: true });
  assert.equal(await name.getAttribute('aria-invalid'), 'true');
  const described = await name.getAttribute('aria-describedby');
  assert.match(await page.locator(`[id="${described}"]`).innerText(), /at least 1/);
  await page.getByTestId('field-error').filter({ hasText: 'Must have at least 1 items' }).waitFor(); // scopes
});

test('creates a key shown once: it reads /api/v2/users with X-API-Key, and once revoked is refused (401)', async () => {
  await page.getByLabel('Name', { exact: true }).fill(`reporting-${stamp}`);
  await page.getByRole('checkbox', { name: /users:read/ }).check();
  await page.getByLabel('Expires after (days, optional)').fill('30');
  await page.getByRole('button', { name: 'Create key' }).click();
  const panel = page.getByTestId('secret-panel');
  await panel.getByText('this is the only time it is shown').waitFor();
  await page.waitForFunction(() => document.activeElement?.tagName === 'H2', null, { timeout: 5000 });
  const key = await panel.getByLabel('API key', { exact: true }).inputValue();
  assert.match(key, /^archon_sk_[0-9A-Za-z]{38}$/);
  await panel.getByRole('button', { name: 'Copy API key' }).click();
  await panel.getByText('Copied to the clipboard.').waitFor(); // the context was granted the clipboard
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);

  const row = page.getByTestId('api-key-row').filter({ hasText: `reporting-${stamp}` });
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(`${key.slice(0, 14)}…`));
  assert.match(await row.innerText(), /users:read/);
  const record = (await api.ok('GET', '/admin/api-keys', { token: adminToken })).find((k) => k.name === `reporting-${stamp}`);
  assert.equal(Date.parse(record.expires_at) - Date.parse(record.created_at), 30 * 86_400_000, 'expires in 30 days');
  const [y, m, d] = record.expires_at.slice(0, 10).split('-');
  assert.match(await row.getByRole('cell').nth(4).innerText(), new RegExp(`^${d}/${m}/${y}, `));

  const res = await usersWithKey(key);
  assert.equal(res.status, 200, 'the key shown once reads the users');
  assert.ok((await res.json()).data.length >= 1);

  await panel.getByRole('button', { name: 'I have stored it, dismiss' }).click();
  await panel.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate((k) => document.documentElement.outerHTML.includes(k), key), false, 'gone from the page');
  await page.reload();
  const reloaded = page.getByTestId('api-key-row').filter({ hasText: `reporting-${stamp}` });
  await reloaded.waitFor();
  assert.doesNotMatch(await reloaded.getByRole('cell').nth(5).innerText(), /never/, 'last used is recorded');

  await reloaded.getByRole('button', { name: `Revoke reporting-${stamp}` }).click();
  await reloaded.getByRole('button', { name: 'Cancel' }).click(); // a first thought: nothing happens
  assert.equal((await usersWithKey(key)).status, 200);
  await reloaded.getByRole('button', { name: `Revoke reporting-${stamp}` }).click();
  await reloaded.getByRole('group', { name: /Revoke the key/ }).waitFor();
  await reloaded.getByRole('button', { name: 'Yes, revoke' }).click();
  await reloaded.getByTestId('api-key-state').filter({ hasText: /^revoked/ }).waitFor();
  await page.getByTestId('announcer').filter({ hasText: `API key reporting-${stamp} revoked` }).waitFor();
  assert.equal((await usersWithKey(key)).status, 401, 'a revoked key is refused');
});

test('webhooks: a URL the server refuses shows its message beside the field', async () => {
  await nav('Webhooks').click();
  await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
  await page.getByLabel('URL', { exact: true }).fill('http://10.0.0.1/hook');
  await page.getByRole('checkbox', { name: /every type/ }).check();
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await page.getByTestId('field-error').filter({ hasText: /internal address/ }).waitFor();
  assert.equal(await page.getByLabel('URL', { exact: true }).getAttribute('aria-invalid'), 'true');
});

/** Clicks "Refresh deliveries" until `count` deliveries are listed (the server delivers after it answers). */
async function waitForDeliveries(count) {
  for (let i = 0; i < 60 && await page.getByTestId('delivery').count() < count; i++) {
    await page.waitForTimeout(250);
    await page.getByRole('button', { name: 'Refresh deliveries' }).click();
  }
  assert.ok(await page.getByTestId('delivery').count() >= count, `${count} deliveries listed`);
}

test('an endpoint to the receiver gets a registration, signed with the secret shown once; the log shows it', async () => {
  await page.getByLabel('URL', { exact: true }).fill(`${receiver.url}/hook`);
  await page.getByRole('checkbox', { name: /every type/ }).uncheck();
  await page.getByRole('checkbox', { name: 'user.registered' }).check();
  await page.getByLabel('Description (optional)').fill('e2e receiver');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  const panel = page.getByTestId('secret-panel');
  state.secret = await panel.getByLabel('Signing secret', { exact: true }).inputValue();
  assert.match(state.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  const row = page.getByTestId('webhook-row').filter({ hasText: `${receiver.url}/hook` });
  await row.waitFor();
  assert.match(await row.innerText(), /user\.registered[\s\S]*enabled[\s\S]*never/);

  state.email = `hooked-${stamp}@example.com`;
  await register(state.email);
  assert.ok(await waitFor(() => receiver.received.find((r) => r.body.includes(state.email))), 'the receiver got the event');
  state.first = receiver.received.find((r) => r.body.includes(state.email));
  assert.equal(JSON.parse(state.first.body).type, 'user.registered');
  assert.ok(signedWith(state.first, state.secret), 'signed with the secret the console showed');

  await panel.getByRole('link', { name: 'Open the endpoint' }).click();
  await page.getByRole('heading', { level: 1, name: `${receiver.url}/hook` }).waitFor();
  await waitForDeliveries(1);
  const delivery = page.getByTestId('delivery').first();
  await page.locator('[data-testid=delivery][data-status=succeeded]').first().waitFor();
  assert.match(await delivery.innerText(), new RegExp(state.first.headers['webhook-id']));
  const attempt = delivery.getByTestId('attempt-row');
  assert.equal(await attempt.count(), 1);
  assert.match(await attempt.innerText(), /1[\s\S]*200[\s\S]*\d+ ms/);
  await page.reload();
  await page.getByTestId('webhook-state').filter({ hasText: 'enabled' }).waitFor();
  assert.doesNotMatch(await page.locator('.facts').first().innerText(), /Last success\s+never/);
});

test('redelivers: a new delivery of the same event (same webhook-id and body) reaches the receiver', async () => {
  const before = receiver.received.length;
  const first = page.getByTestId('delivery').first();
  const firstId = await first.getAttribute('data-delivery-id');
  await first.getByRole('button', { name: `Redeliver delivery ${firstId}` }).click();
  await page.getByTestId('announcer').filter({ hasText: /queued again as delivery \d+/ }).waitFor();
  await waitForDeliveries(2);
  await page.locator('[data-testid=delivery][data-status=succeeded]').nth(1).waitFor();
  const again = await waitFor(() => receiver.received.slice(before).find((r) => r.headers['webhook-id'] === state.first.headers['webhook-id']));
  assert.ok(again, 'redelivered with the same webhook-id');
  assert.equal(again.body, state.first.body);
  assert.notEqual(await page.getByTestId('delivery').first().getAttribute('data-delivery-id'), firstId, 'newest first');
});

test('rotates the secret (shown once, with the previous one\'s expiry), both sign; disable and enable', async () => {
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  const panel = page.getByTestId('secret-panel');
  const fresh = await panel.getByLabel('Signing secret', { exact: true }).inputValue();
  assert.notEqual(fresh, state.secret);
  assert.match(await panel.getByTestId('previous-secret-expiry').innerText(), /until \d\d\/\d\d\/\d{4}, \d\d:\d\d:\d\d UTC/);
  const email = `rotated-${stamp}@example.com`;
  await register(email);
  const got = await waitFor(() => receiver.received.find((r) => r.body.includes(email)));
  assert.ok(got && signedWith(got, fresh) && signedWith(got, state.secret), 'new and previous secret both sign in the grace');
  await panel.getByRole('button', { name: 'I have stored it, dismiss' }).click();
  await panel.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate((s) => document.documentElement.outerHTML.includes(s), fresh), false, 'gone from the page');

  await page.getByRole('button', { name: 'Disable endpoint' }).click();
  await page.getByTestId('webhook-state').filter({ hasText: 'disabled: Disabled by an administrator' }).waitFor();
  await page.getByRole('button', { name: 'Enable endpoint' }).click();
  await page.getByTestId('webhook-state').filter({ hasText: /^enabled$/ }).waitFor();
});

test('a failing endpoint: each attempt\'s 500 in the log, the delivery failed, the endpoint disabled with its reason', async () => {
  const failing = await api.ok('POST', '/admin/webhooks', { token: adminToken, body: { url: `${receiver.url}/fail`, event_types: ['user.registered'] } });
  await register(`failing-${stamp}@example.com`);
  await page.goto(env.page(`/webhooks/${failing.id}`));
  await waitForDeliveries(1);
  const failed = page.locator('[data-testid=delivery][data-status=failed]');
  await failed.waitFor({ timeout: 20_000 }); // 3 attempts, 1 s apart (retry_schedule_seconds [1, 1])
  const attempts = failed.getByTestId('attempt-row');
  assert.equal(await attempts.count(), 3);
  for (let i = 0; i < 3; i++) assert.match(await attempts.nth(i).innerText(), /500/);
  await page.reload();
  await page.getByTestId('webhook-state').filter({ hasText: /^disabled: / }).waitFor();
  state.failingId = failing.id;
});

test('deletes an endpoint after confirmation', async () => {
  await page.getByRole('button', { name: 'Delete endpoint' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
  await page.getByTestId('webhook-row').first().waitFor();
  assert.equal(await page.locator(`[data-webhook-id="${state.failingId}"]`).count(), 0);
  assert.equal((await api.call('GET', `/admin/webhooks/${state.failingId}`, { token: adminToken })).status, 404);
});

test('a non-admin: no such sections, "No access" at their addresses, no call to them', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const email = `plain-${stamp}@example.com`;
  await api.registerVerified(env, email, 'Plain User', PASSWORD);
  const calls = [];
  page.on('response', (r) => { if (/\/api\/v2\/admin\/(api-keys|webhooks)/.test(r.url())) calls.push(r.url()); });
  await signIn(page, email, PASSWORD);
  for (const route of ['/api-keys', '/webhooks', `/webhooks/${state.failingId}`]) {
    await page.goto(env.page(route));
    await page.getByRole('heading', { name: 'No access' }).waitFor();
  }
  assert.deepEqual(calls, []);
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
});

test('no CSP violation and no page error during the journey', () => {
  assert.deepEqual(problems, []);
});

test('the new pages at 1280 and 390 px: screenshots and no serious or critical axe finding', async () => {
  const { context: axeContext, own } = await contextForAxe(context, env.consoleUrl);
  const p = axeContext.pages()[0] ?? await axeContext.newPage();
  const webhookId = (await api.ok('GET', '/admin/webhooks', { token: adminToken }))[0].id;
  const findings = [];
  let n = 0;
  try {
    await p.goto(env.consoleUrl);
    await signIn(p, env.admin.email, env.admin.password);
    findings.push(...await visit(p, '10-api-keys', env.page('/api-keys'), (q) => q.getByTestId('api-key-row').first().waitFor(), async (q) => {
      await q.getByLabel('Name', { exact: true }).fill(`screenshot-${++n}`);
      await q.getByRole('checkbox', { name: /agents:verify/ }).check();
      await q.getByRole('button', { name: 'Create key' }).click();
      await q.getByTestId('secret-panel').waitFor();
      await q.getByTestId('api-key-row').first().getByRole('button', { name: /^Revoke/ }).click();
    }));
    findings.push(...await visit(p, '11-webhooks', env.page('/webhooks'), (q) => q.getByTestId('webhook-row').first().waitFor(), async (q) => {
      await q.getByLabel('URL', { exact: true }).fill('ftp://example.com/hook');
      await q.getByRole('checkbox', { name: /every type/ }).check();
      await q.getByRole('button', { name: 'Add endpoint' }).click();
      await q.getByTestId('field-error').filter({ hasText: 'The URL must use http or https' }).waitFor();
    }));
    findings.push(...await visit(p, '12-webhook-detail', env.page(`/webhooks/${webhookId}`), (q) => q.getByTestId('attempt-row').first().waitFor()));
  } finally {
    if (own) await axeContext.close();
    writeFileSync(join(ARTIFACTS, 'axe-findings-keys-webhooks.json'), `${JSON.stringify(allFindings, null, 2)}\n`);
  }
  assert.deepEqual(findings, []);
});
