// Debian's Chromium driven by playwright-core (no browser download), a fresh profile per launch;
// axe-core injected from node_modules; screenshots to console/e2e/artifacts/.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), 'artifacts');
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export const WIDTHS = [{ name: '1280', width: 1280, height: 800 }, { name: '390', width: 390, height: 844 }];

/** Chromium's helpers may still write the cache as the context closes: retry, never throw. */
function removeProfile(dir) {
  rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }).catch(() => { /* a leftover temp dir */ });
}

export async function launch({ bypassCSP = false } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'archon-console-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    bypassCSP,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
  context.on('close', () => removeProfile(userDataDir));
  return context;
}

/** Records page errors and CSP violations (the console must need nothing inline). */
export function watch(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e}`));
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`csp: ${m.text()}`); });
  return problems;
}

export function shotPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, `${name}.png`);
}

/** Injects axe-core as a script file; false when the page's CSP refused it. */
export async function injectAxe(page) {
  if (await page.evaluate(() => typeof window.axe === 'object')) return true;
  try { await page.addScriptTag({ path: AXE_PATH }); } catch { return false; }
  return page.evaluate(() => typeof window.axe === 'object');
}

/** axe's violations of the current page (every impact), as readable lines. */
export async function axeViolations(page) {
  if (!await injectAxe(page)) throw new Error('axe-core could not be injected');
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.map((v) => ({
    impact: v.impact, line: `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`,
  }));
}
