// Visits every console page at 1280x800 and 390x844: a screenshot of each (artifacts/) and an
// axe-core scan. axe is injected as a script file; where the page's CSP refuses that, the tour
// runs in a context with bypassCSP (the journey itself keeps the CSP enforced).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient } from './api.mjs';
import { ARTIFACTS, WIDTHS, axeViolations, injectAxe, launch, shotPath } from './browser.mjs';

export async function contextForAxe(mainContext, consoleUrl) {
  const page = mainContext.pages()[0];
  await page.goto(consoleUrl);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const injected = await injectAxe(page);
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, 'axe-injection.txt'), injected
    ? 'axe-core injected with page.addScriptTag({path}) under the console CSP\n'
    : 'page.addScriptTag({path}) was refused by the console CSP (inline script); axe ran in a context with bypassCSP: true\n');
  if (injected) return { context: mainContext, own: false };
  return { context: await launch({ bypassCSP: true }), own: true };
}

export async function signIn(page, email, password) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('whoami').filter({ hasText: email }).waitFor();
}

export const allFindings = []; // every impact, written to artifacts/axe-findings*.json

/** One page at both widths; returns axe's serious/critical findings, prefixed by page and width. */
export async function visit(page, name, url, ready, after) {
  const out = [];
  for (const w of WIDTHS) {
    await page.setViewportSize({ width: w.width, height: w.height });
    // A full load each time (a session refresh, a fresh page): a goto that only changes the
    // fragment stays in the document (Playwright answers null), so reload then.
    if (!await page.goto(url)) await page.reload();
    await ready(page);
    await after?.(page);
    await page.screenshot({ path: shotPath(`${name}-${w.name}`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) out.push(`${name}@${w.name}: the page scrolls sideways by ${overflow} px`);
    for (const v of await axeViolations(page)) {
      allFindings.push(`${name}@${w.name}: ${v.line}`);
      if (v.impact === 'serious' || v.impact === 'critical') out.push(`${name}@${w.name}: ${v.line}`);
    }
  }
  return out;
}

export async function runTour({ env, mainContext, users }) {
  const api = apiClient(env.archonUrl);
  const admin = await api.login(env.admin.email, env.admin.password);
  const root = await api.ok('POST', '/auth/agents/authenticate', { token: admin.access_token, body: { agent_type: 'code_reviewer', capabilities_requested: ['file:read', 'git:read'] } });
  await api.ok('POST', '/auth/agents/delegate', { token: root.agent_token, body: { agent_type: 'code_reviewer', capabilities_requested: ['file:read'] } });
  const adaId = (await api.ok('GET', `/users?q=${encodeURIComponent(users.ada.email)}`, { token: admin.access_token }))[0].id;

  const { context, own } = await contextForAxe(mainContext, env.consoleUrl);
  const page = context.pages()[0] ?? await context.newPage();
  const u = env.page;
  const byTestId = (id) => (p) => p.getByTestId(id).first().waitFor();
  const findings = [];
  try {
    findings.push(...await visit(page, '01-sign-in', env.consoleUrl, (p) => p.getByRole('heading', { name: 'Sign in' }).waitFor()));
    await signIn(page, env.admin.email, env.admin.password);
    findings.push(...await visit(page, '02-overview', u('/?sample=2000'), async (p) => {
      await p.getByTestId('metric-totals').waitFor();
      await p.getByTestId('metrics-status').filter({ hasText: /Sampled [2-9]/ }).waitFor();
    }));
    findings.push(...await visit(page, '03-users', u('/users'), byTestId('user-row')));
    findings.push(...await visit(page, '04-user-detail', u(`/users/${adaId}`), byTestId('session-row')));
    findings.push(...await visit(page, '05-agent-tokens', u('/agents'), byTestId('agent-node')));
    findings.push(...await visit(page, '06-role-grants', u('/agents/grants?role=agent_operator'), byTestId('grant-row'), async (p) => {
      await p.getByRole('button', { name: 'Add grant' }).click();
      await p.getByTestId('grant-row').last().getByLabel(/^Agent type/).fill('no_such_agent');
      await p.getByRole('button', { name: 'Save grants' }).click();
      await p.getByTestId('grants-error').filter({ hasText: /VALIDATION/ }).waitFor();
    }));
    findings.push(...await visit(page, '07-agent-types', u('/agents/catalog'), byTestId('agent-type-row')));
    findings.push(...await visit(page, '08-audit', u('/audit'), byTestId('audit-row'), async (p) => {
      await p.getByTestId('audit-row').first().getByText('Details').click();
    }));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(page, users.bob.email, users.password);
    findings.push(...await visit(page, '09-no-access', env.consoleUrl, byTestId('no-access')));
  } finally {
    if (own) await context.close();
    writeFileSync(join(ARTIFACTS, 'axe-findings.json'), `${JSON.stringify(allFindings, null, 2)}\n`);
  }
  return findings;
}
