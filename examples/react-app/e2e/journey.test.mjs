// The whole example-app journey in Chromium against a real archon-auth, with screenshots:
// register, open the verification link from the dev mailbox, log in, edit the profile, list and
// revoke a session, survive a reload (cookie refresh through the same-origin proxy), request an
// agent token for code_implementer (granted and denied with reasons), log out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo } from '../scripts/demo.mjs';
import { launch, shotPath } from './browser.mjs';

const PASSWORD = 'journey passphrase 4 chromium';
let demo;
let context;
let page;
const pageErrors = [];

before(async () => {
  demo = await startDemo();
  context = await launch();
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

after(async () => {
  await context?.close();
  const code = await demo?.stop();
  assert.equal(code, 0, 'archon-auth exits cleanly');
  assert.doesNotMatch(demo.archonStderr(), /AddressSanitizer|runtime error:/);
});

async function apiLogin(email) {
  const res = await fetch(`${demo.archonUrl}/api/v2/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }),
  });
  return (await res.json()).data;
}

async function registerAndVerify(email) {
  await page.goto(`${demo.appUrl}/#/register`);
  await page.getByLabel('Name').fill('Grace');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByLabel('I accept the terms').check();
  await page.screenshot({ path: shotPath('01-register') });
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByText(`We sent a verification link to ${email}`).waitFor();
  await page.screenshot({ path: shotPath('02-check-mail') });

  await page.getByRole('main').getByRole('link', { name: 'dev mailbox' }).click();
  const mail = page.getByRole('listitem').filter({ hasText: email });
  await mail.getByRole('link', { name: 'Open verification link' }).waitFor();
  await page.screenshot({ path: shotPath('03-dev-mailbox') });
  await mail.getByRole('link', { name: 'Open verification link' }).click();
  await page.getByText('Your email is verified').waitFor();
  await page.screenshot({ path: shotPath('04-verified') });

}

async function requestAgentToken() {
  await page.getByRole('link', { name: 'Agents' }).click();
  await page.getByLabel('Agent type').selectOption('code_implementer');
  await page.getByRole('button', { name: 'Request agent token' }).click();
  const result = page.getByTestId('agent-result');
  await result.waitFor();
  const granted = await result.getByRole('list', { name: 'Granted' }).innerText();
  const denied = await result.getByRole('list', { name: 'Denied' }).innerText();
  assert.deepEqual(granted.split('\n').map((s) => s.trim()).filter(Boolean), ['file:read', 'file:write', 'git:commit']);
  assert.match(denied, /npm:install: requires_approval/);
  await page.screenshot({ path: shotPath('10-agent-token'), fullPage: true });

}

test('example app journey', async () => {
  const email = `grace-${Date.now()}@example.com`;
  await registerAndVerify(email);
  await page.getByRole('main').getByRole('link', { name: 'Log in' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the right passphrase');
  await page.getByRole('button', { name: 'Login' }).click();
  await page.getByRole('alert').filter({ hasText: /./ }).waitFor();
  assert.match(await page.getByRole('alert').first().innerText(), /invalid|credentials|password/i);
  await page.screenshot({ path: shotPath('05-login-error-announced') });
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Login' }).click();
  await page.getByTestId('whoami').filter({ hasText: email }).waitFor();
  await page.getByRole('heading', { name: 'Profile' }).waitFor();
  await page.screenshot({ path: shotPath('06-profile') });

  await page.getByLabel('Display name').fill('Grace Hopper');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('profile-name').filter({ hasText: 'Grace Hopper' }).waitFor();
  await page.screenshot({ path: shotPath('07-profile-edited') });

  // Another device signs in; the user revokes that session from the app.
  const other = await apiLogin(email);
  await page.getByRole('link', { name: 'Sessions' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=session-row]').length === 2);
  await page.screenshot({ path: shotPath('08-sessions') });
  await page.getByRole('button', { name: 'Revoke' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=session-row]').length === 1);
  const refused = await fetch(`${demo.archonUrl}/api/v2/users/me`, { headers: { Authorization: `Bearer ${other.access_token}` } });
  assert.equal(refused.status, 401, 'the revoked session no longer works');
  await page.screenshot({ path: shotPath('09-session-revoked') });

  // A reload loses the in-memory access token; the httpOnly cookie restores the session.
  await page.reload();
  await page.getByTestId('whoami').filter({ hasText: email }).waitFor();
  const cookies = await context.cookies(demo.appUrl + '/api/v2/auth/refresh');
  const refresh = cookies.find((c) => c.name === 'refresh_token');
  assert.ok(refresh, 'the refresh cookie is held by the browser');
  assert.equal(refresh.httpOnly, true);
  assert.equal(await page.evaluate(() => document.cookie.includes('refresh_token')), false, 'script cannot read it');

  await requestAgentToken();

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.waitForTimeout(500);
  assert.equal(await page.getByTestId('whoami').count(), 0, 'still signed out after a reload');
  await page.screenshot({ path: shotPath('11-logged-out') });
  assert.deepEqual(pageErrors, []);
});
