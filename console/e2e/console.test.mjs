// The admin console in Chromium against the real archon-auth: an administrator signs in, finds a
// user, revokes one of their sessions (its access token is then refused), changes their roles,
// revokes an agent subtree (the child's verify then answers token_revoked), edits a role grant
// (a bad one shows the server's validation message), reads the audit rows; a non-admin sees no
// admin data and the API refuses them. The page runs under the CSP the binary sends; its routes
// live in the URL fragment (/admin#/users/{id}), the server serves /admin and two assets only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startConsoleEnv } from './harness.mjs';
import { apiClient, waitFor } from './api.mjs';
import { launch, watch } from './browser.mjs';
import { runTour } from './tour.mjs';
import { CSP } from './server.mjs';

const PASSWORD = 'console e2e passphrase 42';
const stamp = Date.now();
const ada = { email: `ada-${stamp}@example.com`, name: 'Ada Lovelace' };
const bob = { email: `bob-${stamp}@example.com`, name: 'Bob Plain' };
let env, api, context, page, problems, adminApi;

before(async () => {
  env = await startConsoleEnv();
  api = apiClient(env.archonUrl);
  await api.registerVerified(env, ada.email, ada.name, PASSWORD);
  await api.registerVerified(env, bob.email, bob.name, PASSWORD);
  adminApi = await api.login(env.admin.email, env.admin.password);
  context = await launch();
  page = context.pages()[0] ?? await context.newPage();
  problems = watch(page);
  console.log(`# console served by: ${env.servedBy}`);
});

after(async () => {
  await context?.close();
  if (!env) return; // before() failed, and said why
  const code = await env.stop();
  assert.equal(code, 0, 'archon-auth exits cleanly');
  assert.doesNotMatch(env.archonStderr(), /AddressSanitizer|runtime error:/);
});

const nav = (name) => page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name });

async function signIn(email, password) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('whoami').filter({ hasText: email }).waitFor();
}

const directives = (csp) => (csp ?? '').split(';').map((d) => d.trim().replace(/\s+/g, ' ')).filter(Boolean).sort();

test('served at /admin: the page and its two assets under the CSP, 404 for any other path', async () => {
  const res = await fetch(env.consoleUrl);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assert.deepEqual(directives(res.headers.get('content-security-policy')), directives(CSP));
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  const html = await res.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  assert.doesNotMatch(html, /<style|style=/, 'no inline style');
  // Absolute: the page is served at /admin (no slash), where "console.js" would mean /console.js.
  assert.match(html, /<script type="module" crossorigin src="\/admin\/console\.js">/);
  assert.match(html, /<link rel="stylesheet" crossorigin href="\/admin\/console\.css">/);
  for (const [asset, type] of [['console.js', /javascript/], ['console.css', /text\/css/]]) {
    const r = await fetch(`${env.origin}/admin/${asset}`);
    assert.equal(r.status, 200, asset);
    assert.match(r.headers.get('content-type') ?? '', type);
    assert.deepEqual(directives(r.headers.get('content-security-policy')), directives(CSP), asset);
  }
  for (const path of ['/admin/users', '/admin/users/some-id', '/admin/agents/grants?role=user', '/admin/index.html', '/admin/console.js.map']) {
    const r = await fetch(env.origin + path);
    assert.equal(r.status, 404, `${path}: pages live in the fragment (/admin#/users), not the path`);
    const body = await r.json().catch(() => null);
    assert.equal(body?.success, false, `${path}: the API's error envelope`);
    assert.equal(body?.error?.code, 'RESOURCE_NOT_FOUND', path);
  }
});

test('an administrator signs in and sees the overview', async () => {
  await page.goto(env.consoleUrl);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await signIn(env.admin.email, env.admin.password);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByTestId('metric-totals').waitFor();
  assert.equal(await page.getByTestId('metrics-unavailable').count(), 0, '/metrics is readable');
  assert.match(await page.getByTestId('metric-totals').innerText(), /logins \d+/);
  // Only the SDK's cross-tab marker (an expiry time, never a token); the refresh cookie is httpOnly.
  const stored = await page.evaluate(() => ({ local: Object.entries(localStorage), session: sessionStorage.length, cookie: document.cookie }));
  assert.deepEqual(stored.local.map(([k]) => k).filter((k) => !/^archon-auth:.*:refreshed$/.test(k)), []);
  assert.doesNotMatch(JSON.stringify(stored.local), /eyJ/, 'no token in storage');
  assert.deepEqual([stored.session, stored.cookie], [0, '']);
});

test('keyboard: a skip link first, visible focus, real links', async () => {
  await page.reload();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to main content' });
  assert.equal(await skip.evaluate((el) => el === document.activeElement), true);
  assert.notEqual(await skip.evaluate((el) => getComputedStyle(el).outlineStyle), 'none', 'a visible focus ring');
  const before = page.url();
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  assert.equal(page.url(), before, 'the skip link leaves the route (the fragment) alone');

  await page.reload();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  for (let i = 0; i < 3; i++) await page.keyboard.press('Tab'); // skip link, Overview, Users
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Users');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
});

/** The h1 in main once the page has settled (a failed session refresh shows "Sign in"). */
async function mainHeading() {
  await page.locator('main h1').waitFor();
  return page.locator('main h1').innerText();
}

test('a reload of /admin#/users keeps the session: the refresh cookie from the server\'s own origin', async () => {
  if (env.servedBy === 'binary') assert.deepEqual(env.allowOrigins, [], 'the server\'s origin is not in cors.allow_origins');
  await page.goto(env.page('/users'));
  assert.equal(await mainHeading(), 'Users');
  const refresh = page.waitForResponse((r) => r.url().endsWith('/api/v2/auth/refresh'));
  await page.reload();
  assert.equal((await refresh).status(), 200, 'the cookie refresh is accepted');
  assert.equal(await mainHeading(), 'Users');
  await page.getByTestId('whoami').filter({ hasText: env.admin.email }).waitFor();
  assert.equal(new URL(page.url()).hash, '#/users');
});

test('a deep link opens its page; back and forward move between routes, focus on the heading', async () => {
  const adaId = (await api.ok('GET', `/users?q=${encodeURIComponent(ada.email)}`, { token: adminApi.access_token }))[0].id;
  await page.goto('about:blank');
  await page.goto(env.page(`/users/${adaId}`));
  await page.getByRole('heading', { level: 1, name: ada.email }).waitFor();
  await page.getByRole('link', { name: '← All users' }).click();
  assert.equal(await mainHeading(), 'Users');
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  assert.equal(new URL(page.url()).hash, '#/users');
  await page.goBack();
  await page.getByRole('heading', { level: 1, name: ada.email }).waitFor();
  await page.waitForFunction((email) => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === email, ada.email);
  await page.goForward();
  await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  await page.goto(env.page('/no/such/page'));
  await page.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
});

test('users: sorted and paged as the API pages', async () => {
  await page.goto(env.page('/users?sort=email&order=asc&limit=1'));
  const pager = page.getByRole('navigation', { name: 'Users pages' });
  await pager.getByText('Page 1 of 3 (3 in all)').waitFor();
  assert.equal(await page.getByTestId('user-row').count(), 1);
  assert.match(await page.getByTestId('user-row').innerText(), new RegExp(ada.email));
  await pager.getByRole('link', { name: 'Next page' }).click();
  await pager.getByText('Page 2 of 3 (3 in all)').waitFor();
  await page.getByTestId('user-row').filter({ hasText: bob.email }).waitFor();
  await page.goBack();
  await pager.getByText('Page 1 of 3 (3 in all)').waitFor();
  await page.getByLabel('Status', { exact: true }).selectOption('false');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByTestId('users-count').filter({ hasText: /^0 users match/ }).waitFor();
});

test('finds a user and revokes one session: that access token is refused next', async () => {
  const s1 = await api.login(ada.email, PASSWORD);
  const s2 = await api.login(ada.email, PASSWORD);
  await nav('Users').click();
  await page.getByLabel('Search').fill(`ada-${stamp}`);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByTestId('users-count').filter({ hasText: /^1 users match/ }).waitFor();
  await page.getByRole('link', { name: ada.email }).click();
  await page.getByRole('heading', { level: 1, name: ada.email }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=session-row]').length === 2);
  await page.getByRole('button', { name: `Revoke session ${s1.session_id}` }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=session-row]').length === 1);
  await page.getByTestId('announcer').filter({ hasText: `Session ${s1.session_id} revoked` }).waitFor();
  assert.equal((await api.call('GET', '/users/me', { token: s1.access_token })).status, 401, 'the revoked session is refused');
  assert.equal((await api.call('GET', '/users/me', { token: s2.access_token })).status, 200, 'the other session still works');
  await page.getByTestId('user-events').getByText('session_revoked').first().waitFor();
});

test("sends the user a password-reset link", async () => {
  await page.getByRole('button', { name: 'Send password-reset link' }).click();
  await page.getByRole('button', { name: 'Yes, send it' }).click();
  await page.getByTestId('announcer').filter({ hasText: `Password-reset link sent to ${ada.email}` }).waitFor();
  assert.ok(await waitFor(() => env.resetToken(ada.email)), 'the reset mail is in the mail folder');
});

test("changes the user's roles", async () => {
  await page.getByRole('checkbox', { name: 'agent_operator' }).check();
  await page.getByRole('button', { name: 'Save roles' }).click();
  await page.getByTestId('user-roles').filter({ hasText: 'agent_operator' }).waitFor();
  const users = await api.ok('GET', `/users?q=${encodeURIComponent(ada.email)}`, { token: adminApi.access_token });
  assert.deepEqual([...users[0].roles].sort(), ['agent_operator', 'user']);
});

test('deactivates the user (every session ends) and reactivates them', async () => {
  const live = await api.login(ada.email, PASSWORD);
  await page.getByRole('button', { name: 'Deactivate account' }).click();
  await page.getByTestId('user-status').filter({ hasText: 'deactivated' }).waitFor();
  await page.getByText('No live sessions.').waitFor();
  assert.equal((await api.call('GET', '/users/me', { token: live.access_token })).status, 401);
  assert.equal((await api.call('POST', '/auth/login', { body: { email: ada.email, password: PASSWORD } })).status, 401);
  await page.getByRole('button', { name: 'Reactivate account' }).click();
  await page.getByTestId('user-status').filter({ hasText: /^active$/ }).waitFor();
  assert.equal((await api.call('POST', '/auth/login', { body: { email: ada.email, password: PASSWORD } })).status, 200);
});

test('revokes an agent subtree: the delegated child is then token_revoked', async () => {
  const token = adminApi.access_token;
  const root = await api.ok('POST', '/auth/agents/authenticate', { token, body: { agent_type: 'code_reviewer', capabilities_requested: ['file:read', 'git:read'] } });
  const child = await api.ok('POST', '/auth/agents/delegate', { token: root.agent_token, body: { agent_type: 'code_reviewer', capabilities_requested: ['file:read'] } });
  const other = await api.ok('POST', '/auth/agents/authenticate', { token, body: { agent_type: 'code_reviewer', capabilities_requested: ['file:read'] } });
  const verify = async (t) => (await api.ok('POST', '/auth/agents/verify', { token, body: { token: t, capability: 'file:read', resource: { path: '/project/README.md' } } })).reason;
  assert.equal(await verify(child.agent_token), 'allowed');

  await nav('Agents').click();
  const rootNode = page.locator(`[data-agent-id="${root.agent_id}"]`);
  await rootNode.locator(`[data-agent-id="${child.agent_id}"]`).waitFor();
  assert.match(await rootNode.getByTestId('countdown').first().innerText(), /^\d+m \d\ds$/);
  await page.getByRole('button', { name: `Revoke code_reviewer ${root.agent_id} with subtree (2 tokens)` }).click();
  await rootNode.waitFor({ state: 'detached' });
  await page.locator(`[data-agent-id="${other.agent_id}"]`).waitFor();
  assert.equal(await verify(child.agent_token), 'token_revoked');
  assert.equal(await verify(other.agent_token), 'allowed', 'another lineage is untouched');
});

test('edits a role grant and sees the server validation message for a bad one', async () => {
  await page.getByRole('link', { name: 'Role grants' }).click();
  await page.getByLabel('Role', { exact: true }).selectOption('agent_operator');
  await page.getByRole('form', { name: 'Agent grants of role agent_operator' }).waitFor();
  await page.getByRole('button', { name: 'Add grant' }).click();
  const rows = page.getByTestId('grant-row');
  const last = rows.last();
  await last.getByLabel(/^Agent type/).fill('no_such_agent');
  await page.getByRole('button', { name: 'Save grants' }).click();
  await page.getByTestId('grants-error').filter({ hasText: /VALIDATION/ }).waitFor();
  await last.getByText(/Must be a catalog agent type/).waitFor();
  const n = await rows.count();
  assert.match(await page.getByTestId('grants-error').innerText(), new RegExp(`grant ${n} agent_type: Must be a catalog agent type`));
  assert.equal(await last.getByLabel(/^Agent type/).getAttribute('aria-invalid'), 'true');

  await last.getByLabel(/^Agent type/).fill('code_reviewer');
  await last.getByLabel(/^Capabilities/).fill('file:read, git:read');
  await page.getByRole('button', { name: 'Save grants' }).click();
  await page.getByTestId('announcer').filter({ hasText: 'Agent grants of role agent_operator saved' }).waitFor();
  const saved = await api.ok('GET', '/admin/roles/agent_operator/agent-grants', { token: adminApi.access_token });
  assert.ok(saved.grants.some((g) => g.agent_type === 'code_reviewer' && g.capabilities.join() === 'file:read,git:read'), JSON.stringify(saved));
});

async function auditRows(event, userId) {
  await nav('Audit').click();
  await page.getByLabel('Event', { exact: true }).fill(event);
  await page.getByLabel('Account (user id)', { exact: true }).fill(userId ?? '');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL((u) => new URLSearchParams(u.hash.split('?')[1] ?? '').get('event') === event);
  const rows = page.locator(`[data-testid=audit-row][data-event="${event}"]`);
  await rows.first().waitFor();
  return rows;
}

test('reads the resulting audit rows with their details', async () => {
  const adaId = (await api.ok('GET', `/users?q=${encodeURIComponent(ada.email)}`, { token: adminApi.access_token }))[0].id;
  const revoked = await auditRows('session_revoked', adaId);
  await revoked.first().getByText('Details').click();
  assert.match(await revoked.first().getByTestId('audit-details').innerText(), /sess_/);
  assert.ok(await (await auditRows('admin_user_update', adaId)).count() >= 1);
  assert.ok(await (await auditRows('agent_token_revoked')).count() >= 1);
  assert.ok(await (await auditRows('agent_grants_changed')).count() >= 1);
});

test("the overview counts the journey's logins and agent decisions from /metrics", async () => {
  await nav('Overview').click();
  const totals = page.getByTestId('metric-totals');
  await totals.waitFor();
  const text = await totals.innerText();
  const n = (label) => Number(new RegExp(`${label} (\\d+)`).exec(text)?.[1]);
  assert.ok(n('logins') >= 6, text);
  assert.ok(n('login failures') >= 1, text);
  assert.ok(n('agent decisions allowed') >= 2, text); // the child and the other lineage, before the revoke
  assert.ok(n('agent decisions denied') >= 1, text); // the child after it: token_revoked
  assert.equal(n('rate-limited requests'), 0, text);
});

test('a non-admin sees no admin data and the API refuses them', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const adminCalls = [];
  page.on('response', (r) => { if (/\/api\/v2\/(users(?!\/me)|audit|admin\/)/.test(r.url())) adminCalls.push(`${r.status()} ${r.url()}`); });
  await signIn(bob.email, PASSWORD);
  await page.getByRole('heading', { name: 'No access' }).waitFor();
  assert.equal(await page.getByRole('navigation', { name: 'Console sections' }).count(), 0);
  await page.goto(env.page('/users'));
  await page.getByRole('heading', { name: 'No access' }).waitFor();
  assert.equal(await page.getByTestId('user-row').count(), 0);
  assert.deepEqual(adminCalls, [], 'the console made no admin call for a non-admin');
  const bobApi = await api.login(bob.email, PASSWORD);
  for (const path of ['/users', '/audit', '/admin/roles/user/agent-grants']) {
    assert.equal((await api.call('GET', path, { token: bobApi.access_token })).status, 403, path);
  }
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
});

test('no CSP violation and no page error during the journey', () => {
  assert.deepEqual(problems, []);
});

test('every page at 1280 and 390 px: screenshots and no serious or critical axe finding', async () => {
  const findings = await runTour({ env, mainContext: context, users: { ada, bob, password: PASSWORD } });
  assert.deepEqual(findings, []);
});
