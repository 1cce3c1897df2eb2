// The admin actions of issue 25 in Chromium against the real archon-auth: an administrator unlocks
// an account that 5 failed logins locked (it signs in again), signs a user out everywhere (their
// access tokens are refused at once), mails a reset link, uses the agent kill switch on a type
// (a delegated child of another account then verifies as token_revoked; another type stays
// allowed), revokes one node of another account's lineage (its subtree goes, its root stays), filters the audit by actor and time and reads the chain's verification state. Then
// screenshots and axe of the changed pages at 1280 and 390 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startConsoleEnv } from './harness.mjs';
import { apiClient, waitFor } from './api.mjs';
import { ARTIFACTS, launch, watch } from './browser.mjs';
import { allFindings, contextForAxe, signIn, visit } from './tour.mjs';

const PASSWORD = 'console e2e passphrase 42';
const stamp = Date.now();
const carol = { email: `carol-${stamp}@example.com`, name: 'Carol Locked' };
const dave = { email: `dave-${stamp}@example.com`, name: 'Dave Operator' };
let env, api, context, page, problems, admin;
const ids = {};
const killSwitch = {}; // what the server counted, for the todo below

before(async () => {
  env = await startConsoleEnv();
  api = apiClient(env.archonUrl);
  await api.registerVerified(env, carol.email, carol.name, PASSWORD);
  await api.registerVerified(env, dave.email, dave.name, PASSWORD);
  admin = await api.login(env.admin.email, env.admin.password);
  const find = async (email) => (await api.ok('GET', `/users?q=${encodeURIComponent(email)}`, { token: admin.access_token }))[0].id;
  [ids.carol, ids.dave, ids.admin] = [await find(carol.email), await find(dave.email), admin.user.id];
  await api.ok('PATCH', `/users/${ids.dave}`, { token: admin.access_token, body: { roles: ['user', 'agent_operator'] } });
  context = await launch();
  page = context.pages()[0] ?? await context.newPage();
  problems = watch(page);
  console.log(`# console served by: ${env.servedBy}`);
});

after(async () => {
  await context?.close();
  if (!env) return;
  const code = await env.stop();
  assert.equal(code, 0, 'archon-auth exits cleanly');
  assert.doesNotMatch(env.archonStderr(), /AddressSanitizer|runtime error:/);
});

const login = (email, password = PASSWORD) => api.call('POST', '/auth/login', { body: { email, password } });
const me = (token) => api.call('GET', '/users/me', { token });
const announced = (text) => page.getByTestId('announcer').filter({ hasText: text }).waitFor();

test('an account locked by 5 failed logins is unlocked from its page and signs in again', async () => {
  for (let i = 0; i < 5; i++) assert.equal((await login(carol.email, 'not the passphrase at all')).status, 401);
  const refused = await login(carol.email);
  assert.equal(refused.json?.error?.code, 'AUTH_ACCOUNT_LOCKED', 'the right passphrase is refused while locked');

  await page.goto(env.page(`/users/${ids.carol}`));
  await signIn(page, env.admin.email, env.admin.password);
  await page.getByRole('heading', { level: 1, name: carol.email }).waitFor();
  await page.getByTestId('lockout-state').filter({ hasText: /^locked$/ }).waitFor();
  assert.ok(Number(await page.getByTestId('lockout-failures').innerText()) >= 5);
  await page.getByRole('button', { name: 'Unlock and clear failures' }).click();
  await announced(`${carol.email} unlocked`);
  await page.getByTestId('lockout-state').filter({ hasText: 'not locked' }).waitFor();
  assert.equal(await page.getByTestId('lockout-failures').innerText(), '0');
  assert.equal((await login(carol.email)).status, 200, 'the user signs in again');
  await page.getByTestId('user-events').getByText('admin_user_unlock').first().waitFor();
});

test('signs the user out everywhere (after a confirmation): their access tokens get 401 at once', async () => {
  const a = (await login(carol.email)).data;
  const b = (await login(carol.email)).data;
  const live = (await api.ok('GET', `/users/${ids.carol}/sessions`, { token: admin.access_token })).length;
  await page.reload();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=session-row]').length === n, live);
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await page.getByRole('group', { name: `Revoke all ${live} session(s) of this account?` }).waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click(); // a first thought changes nothing
  assert.equal((await me(a.access_token)).status, 200);
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await page.getByRole('button', { name: 'Yes, sign out everywhere' }).click();
  await announced(`Signed out everywhere: ${live} session(s) revoked`);
  await page.getByText('No live sessions.').waitFor();
  assert.equal((await me(a.access_token)).status, 401);
  assert.equal((await me(b.access_token)).status, 401);
  await page.getByTestId('user-events').getByText('sessions_revoked_all').first().waitFor();
});

test('mails a password-reset link after a confirmation', async () => {
  assert.equal(env.resetToken(carol.email), null);
  await page.getByRole('button', { name: 'Send password-reset link' }).click();
  await page.getByRole('button', { name: 'Yes, send it' }).click();
  await announced(`Password-reset link sent to ${carol.email}`);
  assert.ok(await waitFor(() => env.resetToken(carol.email)), 'the reset mail is in the mail folder');
});

const mint = (token, agentType, capabilities = ['file:read']) =>
  api.ok('POST', '/auth/agents/authenticate', { token, body: { agent_type: agentType, capabilities_requested: capabilities } });
const delegate = (parent, agentType) =>
  api.ok('POST', '/auth/agents/delegate', { token: parent.agent_token, body: { agent_type: agentType, capabilities_requested: ['file:read'] } });
const verify = async (agentToken) => (await api.ok('POST', '/auth/agents/verify', {
  token: admin.access_token, body: { token: agentToken, capability: 'file:read', resource: { path: '/project/README.md' } },
})).reason;

test('agents across accounts as lineage trees; the kill switch revokes a type with its descendants', async () => {
  const daveSession = await api.login(dave.email, PASSWORD);
  const root = await mint(daveSession.access_token, 'code_reviewer', ['file:read', 'git:read']);
  const child = await delegate(root, 'code_reviewer');
  const mine = await mint(admin.access_token, 'code_reviewer');
  const other = await mint(admin.access_token, 'documentation_writer');
  assert.equal(await verify(child.agent_token), 'allowed');

  await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Agents' }).click();
  await page.getByRole('navigation', { name: 'Agents pages' }).getByRole('link', { name: 'All live tokens' }).click();
  const rootNode = page.locator(`[data-agent-id="${root.agent_id}"]`);
  await rootNode.locator(`[data-agent-id="${child.agent_id}"]`).waitFor(); // the child inside its root
  assert.match(await rootNode.locator('.agent-card').first().innerText(), new RegExp(ids.dave));
  await page.locator(`[data-agent-id="${other.agent_id}"]`).waitFor();
  assert.match(await rootNode.getByTestId('countdown').first().innerText(), /^\d+m \d\ds$/);

  const search = page.getByRole('search', { name: 'Filter agent tokens' });
  await search.getByLabel('Agent type').fill('documentation_writer');
  await search.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByTestId('agent-count').filter({ hasText: /^1 live tokens match/ }).waitFor();
  assert.equal(await rootNode.count(), 0, 'the filter leaves the other type out');

  const kill = page.getByRole('form', { name: 'Kill switch' });
  await kill.getByLabel('Agent type').fill('');
  await kill.getByRole('button', { name: 'Revoke all matching tokens' }).click();
  await kill.getByRole('button', { name: 'Yes, revoke them all' }).click();
  await kill.getByTestId('field-error').first().filter({ hasText: 'Name a user_id, an agent_type or both' }).waitFor();
  assert.equal(await kill.getByLabel('Agent type').getAttribute('aria-invalid'), 'true');

  await kill.getByLabel('Agent type').fill('code_reviewer');
  await kill.getByRole('button', { name: 'Revoke all matching tokens' }).click();
  await kill.getByRole('group', { name: 'Revoke every live agent token of type code_reviewer?' }).waitFor();
  await kill.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await verify(child.agent_token), 'allowed', 'cancelled: nothing revoked');
  const live = async () => (await api.ok('GET', '/admin/agents/tokens?agent_type=code_reviewer&limit=100', { token: admin.access_token })).length;
  const before = await live();
  await kill.getByRole('button', { name: 'Revoke all matching tokens' }).click();
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/v2/admin/agents/revoke'));
  await kill.getByRole('button', { name: 'Yes, revoke them all' }).click();
  const { revoked } = (await (await answer).json()).data;
  await kill.getByTestId('kill-switch-result').filter({ hasText: `${revoked} agent tokens revoked of type code_reviewer` }).waitFor();
  await announced(`${revoked} agent tokens revoked of type code_reviewer`);
  assert.equal(before, 3);
  assert.equal(await live(), 0);
  killSwitch.counted = revoked;
  assert.equal(await verify(child.agent_token), 'token_revoked', "the other account's delegated child");
  assert.equal(await verify(root.agent_token), 'token_revoked');
  assert.equal(await verify(mine.agent_token), 'token_revoked');
  assert.equal(await verify(other.agent_token), 'allowed', 'another type is untouched');

  await page.goto(env.page('/agents/all'));
  await page.locator(`[data-agent-id="${other.agent_id}"]`).waitFor();
  assert.equal(await page.locator(`[data-agent-id="${root.agent_id}"]`).count(), 0, 'the revoked lineage is gone from the list');
});

// The console shows the server's number; this holds it to the tokens really revoked (a descendant
// listed after its ancestor is counted once).
test('the kill switch counts each revoked token once', () => {
  assert.equal(killSwitch.counted, 3);
});

test("revokes one node of another account's lineage: its subtree goes, the root stays", async () => {
  const daveSession = await api.login(dave.email, PASSWORD);
  const root = await mint(daveSession.access_token, 'code_reviewer', ['file:read', 'git:read']);
  const child = await delegate(root, 'code_reviewer');
  const grandchild = await delegate(child, 'code_reviewer');
  await page.getByRole('button', { name: 'Refresh list' }).click(); // still on All live tokens since the kill switch
  const rootNode = page.locator(`[data-agent-id="${root.agent_id}"]`);
  await rootNode.locator(`[data-agent-id="${child.agent_id}"] [data-agent-id="${grandchild.agent_id}"]`).waitFor();

  await page.getByRole('button', { name: `Revoke code_reviewer ${child.agent_id} with subtree (2 tokens)`, exact: true }).click();
  const ask = page.getByRole('group', { name: `Revoke ${child.agent_id} of ${ids.dave} and the 1 token(s) delegated from it?` });
  const answer = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/v2/admin/agents/tokens/'));
  await ask.getByRole('button', { name: 'Yes, revoke' }).click();
  assert.equal((await (await answer).json()).data.revoked, 2);
  await page.getByTestId('node-revoke-result').filter({ hasText: /^Revoked 2 tokens: / }).waitFor();
  await announced(`Revoked 2 tokens: ${child.agent_id} of ${ids.dave}`);

  assert.equal(await verify(child.agent_token), 'token_revoked');
  assert.equal(await verify(grandchild.agent_token), 'token_revoked');
  assert.equal(await verify(root.agent_token), 'allowed', 'the root above the revoked node stays');
  await rootNode.waitFor();
  await page.waitForFunction((id) => !document.querySelector(`[data-agent-id="${id}"]`), child.agent_id); // the tree refreshed
  assert.equal(await page.locator(`[data-agent-id="${grandchild.agent_id}"]`).count(), 0);
});

test("filters the audit by actor and time, and shows the chain's verification state", async () => {
  const chain = await api.ok('GET', '/audit/verify', { token: admin.access_token });
  assert.equal(chain.intact, true);
  await page.goto(env.page('/audit'));
  const state = page.getByTestId('chain-state');
  await state.filter({ hasText: /^Intact, \d+ events/ }).waitFor();
  assert.ok(Number(/Intact, (\d+) events/.exec(await state.innerText())[1]) >= chain.events);

  const search = page.getByRole('search', { name: 'Filter audit events' });
  await search.getByLabel('Actor', { exact: true }).fill(ids.admin);
  await search.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL((u) => new URLSearchParams(u.hash.split('?')[1] ?? '').get('actor') === ids.admin);
  // The previous rows stay until the filtered ones arrive: wait for the admin's own rows only.
  await page.waitForFunction((actor) => {
    const rows = [...document.querySelectorAll('[data-testid=audit-row]')];
    return rows.length > 0 && rows.every((r) => r.dataset.actor === actor);
  }, ids.admin);
  await page.locator('[data-testid=audit-row][data-event=agent_tokens_revoked_all]').first().waitFor();
  const { total } = (await api.call('GET', `/audit?actor=${ids.admin}&limit=1`, { token: admin.access_token })).json.meta.pagination;
  await page.getByTestId('audit-count').filter({ hasText: new RegExp(`^${total} events match`) }).waitFor();

  // A "since" an hour ahead (the browser's local time) goes out as UTC and matches nothing.
  const local = await page.evaluate(() => {
    const d = new Date(Date.now() + 3_600_000);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  });
  const utc = await page.evaluate((v) => new Date(v).toISOString().replace(/\.\d{3}Z$/, 'Z'), local);
  await search.getByLabel('Since (inclusive)').fill(local);
  await search.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL((u) => new URLSearchParams(u.hash.split('?')[1] ?? '').get('since') === utc);
  await page.getByTestId('audit-count').filter({ hasText: /^0 events match/ }).waitFor();

  await page.goto(env.page('/audit?since=yesterday'));
  await page.getByRole('alert').filter({ hasText: /VALIDATION_INVALID_FORMAT.*since: Must be a UTC time/ }).waitFor();
});

test('a non-admin gets "No access" on the agents across accounts', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await signIn(page, carol.email, PASSWORD);
  await page.goto(env.page('/agents/all'));
  await page.getByRole('heading', { name: 'No access' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
});

// Alters one stored event behind the server's back (SQLite, through Python's sqlite3): the chain
// then breaks there, and the console says so. The chain stays broken (the
// audit screenshots show that state).
const python = spawnSync('python3', ['-c', 'import sqlite3'], { stdio: 'ignore' }).status === 0;
test('an altered event: the audit page shows the chain broken at its seq', { skip: !python && 'python3 with sqlite3 not found' }, async () => {
  const db = readdirSync(env.dataDir).find((f) => f.endsWith('.db'));
  const tamper = 'import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], timeout=10)\n'
    + "c.execute(\"UPDATE audit_events SET outcome = 'altered' WHERE seq = 5\")\nc.commit()";
  const r = spawnSync('python3', ['-c', tamper, join(env.dataDir, db)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const chain = await api.ok('GET', '/audit/verify', { token: admin.access_token });
  assert.deepEqual([chain.intact, chain.first_broken_seq], [false, 5]);
  await page.goto(env.page('/audit'));
  const signInHeading = page.getByRole('heading', { name: 'Sign in' });
  await signInHeading.or(page.getByRole('heading', { name: 'Audit trail' })).waitFor();
  if (await signInHeading.isVisible()) await signIn(page, env.admin.email, env.admin.password);
  await page.getByTestId('chain-state').filter({ hasText: /^Broken at seq 5 \(\d+ events\)/ }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signInHeading.waitFor();
});

test('no CSP violation and no page error during the journey', () => {
  assert.deepEqual(problems, []);
});

test('the changed pages at 1280 and 390 px: screenshots and no serious or critical axe finding', async () => {
  for (let i = 0; i < 5; i++) await login(dave.email, 'not the passphrase at all'); // a locked account to show
  const root = await mint(admin.access_token, 'code_reviewer', ['file:read', 'git:read']);
  await delegate(root, 'code_reviewer');
  const { context: axeContext, own } = await contextForAxe(context, env.consoleUrl);
  const p = axeContext.pages()[0] ?? await axeContext.newPage();
  const findings = [];
  try {
    await p.goto(env.consoleUrl);
    await signIn(p, env.admin.email, env.admin.password);
    findings.push(...await visit(p, '20-user-lockout', env.page(`/users/${ids.dave}`), (q) => q.getByTestId('lockout-state').filter({ hasText: /^locked$/ }).waitFor(),
      async (q) => { await q.getByRole('button', { name: 'Send password-reset link' }).click(); }));
    findings.push(...await visit(p, '21-agents-all', env.page('/agents/all'), (q) => q.getByTestId('agent-node').first().waitFor(), async (q) => {
      const kill = q.getByRole('form', { name: 'Kill switch' });
      await kill.getByLabel('Account (user id)').fill(ids.dave);
      await kill.getByRole('button', { name: 'Revoke all matching tokens' }).click();
    }));
    findings.push(...await visit(p, '22-audit-filters', env.page(`/audit?actor=${ids.admin}&since=2020-01-01T00:00:00Z`),
      (q) => q.getByTestId('chain-state').waitFor(), (q) => q.getByTestId('audit-row').first().waitFor()));
  } finally {
    if (own) await axeContext.close();
    writeFileSync(join(ARTIFACTS, 'axe-findings-admin-actions.json'), `${JSON.stringify(allFindings, null, 2)}\n`);
  }
  assert.deepEqual(findings, []);
});
