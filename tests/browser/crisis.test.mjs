// Browser test of the crisis-management capsule, the "done when" in
// Debian's headless Chromium: a `ckisa demo` node (with a short learning
// silence so the test does not wait two minutes); IT security stops the
// simulated HIS and the outage alert appears for the crisis director; she
// declares the crisis; the dashboard, open in another browser, moves live
// when a unit manager reports and when the pharmacist counts a stock; the
// director closes the crisis and reads the after-action report as a page
// and as a PDF. All in French. Usage: node --test crisis.test.mjs (binary
// path in CKISA_BIN, default target/debug/ckisa).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const binary = resolve(process.env.CKISA_BIN ?? 'target/debug/ckisa');
const dataDir = mkdtempSync(join(tmpdir(), 'ckisa-crisis-'));
const SILENCE_S = 8;

function startNode() {
  const child = spawn(binary, ['demo', '--data', dataDir, '--http', '127.0.0.1:0',
    '--mllp', '127.0.0.1:0', '--rate', '5', '--alerte-silence', `${SILENCE_S}s`],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let ready;
  const started = new Promise((resolveStarted, reject) => {
    ready = resolveStarted;
    const timer = setTimeout(() => reject(new Error(`demo not ready in 90 s:\n${output}`)), 90_000);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`ckisa demo exited with ${code}:\n${output}`)); });
  });
  const onData = (chunk) => {
    output += chunk;
    const url = output.match(/http:\/\/127\.0\.0\.1:\d+\//);
    if (url && /Ctrl-C/.test(output)) ready({ base: url[0], printed: output });
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return { child, started };
}

const node = startNode();
let browser;
after(async () => {
  await browser?.close();
  node.child.kill('SIGINT');
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(`${dataDir}.key`, { force: true });
});

function password(printed, login) {
  const match = printed.match(new RegExp(`${login}\\s+.*?(demo-${login}-\\S+)`));
  assert.ok(match, `the demo prints the password of ${login}:\n${printed}`);
  return match[1];
}

async function session(base, printed, login) {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  const violations = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) violations.push(message.text());
  });
  await page.goto(new URL('connexion', base).href);
  await page.fill('#login', login);
  await page.fill('#password', password(printed, login));
  await Promise.all([page.waitForNavigation(), page.click('form.account-form button[type=submit]')]);
  assert.doesNotMatch(page.url(), /connexion/, `${login} is logged in`);
  return { page, violations };
}

async function until(what, check, timeoutMs) {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value) return { value, ms: Date.now() - start };
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('outage alert, declaration, live dashboard, unit report, closing and report', async () => {
  const { base, printed } = await node.started;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

  // The director's overview: no crisis, no alert yet, a button to declare.
  const director = await session(base, printed, 'directeur');
  await director.page.goto(new URL('crise', base).href);
  assert.equal(await director.page.locator('html').getAttribute('lang'), 'fr');
  const overview = await director.page.locator('main').innerText();
  assert.match(overview, /Aucune crise déclarée/);
  assert.match(overview, /Aucune alerte en cours/);

  // IT security stops the simulated HIS from the status page.
  const rssi = await session(base, printed, 'rssi');
  await rssi.page.goto(new URL('statut', base).href);
  await Promise.all([rssi.page.waitForNavigation(), rssi.page.click('form[action="/demo/sih"] button')]);
  assert.match(await rssi.page.locator('main').innerText(), /arrêté/);
  const stoppedAt = Date.now();

  // The outage alert reaches the director with its evidence, within the
  // silence threshold plus the watch's 5-second round (and page reloads).
  const alert = await until('the silent-feed alert', async () => {
    await director.page.goto(new URL('crise', base).href);
    const text = await director.page.locator('#alertes').innerText();
    return /Flux silencieux/.test(text) ? text : null;
  }, (SILENCE_S + 30) * 1000);
  assert.match(alert.value, /sih-demo/);
  assert.match(alert.value, /\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/, 'since when, as dd/mm/yyyy HH:MM');
  const alertDelay = Date.now() - stoppedAt;
  assert.ok(alertDelay < (SILENCE_S + 30) * 1000, `alert after ${alertDelay} ms`);

  // The director declares the crisis at level 2.
  await director.page.click('a[href="/crise/transition/declarer"]');
  await director.page.check('input[name=niveau][value="2"]');
  await director.page.fill('#motif', 'SIH injoignable depuis l\'arrêt des flux : rançongiciel suspecté');
  await Promise.all([director.page.waitForNavigation(), director.page.click('form.crisis-form button[type=submit]')]);
  const banner = await director.page.locator('.crisis-banner').innerText();
  assert.match(banner, /Crise déclarée — niveau 2/);
  assert.match(await director.page.locator('main').innerText(), /Horloges des activités/);

  // The crisis cell opens the dashboard; it must not reload from now on.
  const cell = await session(base, printed, 'cellule');
  await cell.page.goto(new URL('crise/tableau', base).href);
  await cell.page.waitForFunction(() => document.querySelector('#tableau-etat')?.classList.contains('live'));
  await cell.page.evaluate(() => { window.__sameDocument = true; });
  assert.match(await cell.page.locator('#tableau').innerText(), /Crise déclarée|niveau 2/i);

  // A unit manager reports for her first unit.
  const manager = await session(base, printed, 'cadre');
  await manager.page.goto(new URL('crise/tableau', base).href);
  const reportLink = manager.page.locator('#points a[data-unit]').first();
  const unit = await reportLink.getAttribute('data-unit');
  await reportLink.click();
  await manager.page.waitForURL(/\/point$/);
  await manager.page.fill('#presents', '7');
  await manager.page.fill('#necessaires', '10');
  await manager.page.check('#statut-orange');
  await manager.page.fill('#besoins', 'Deux IDE de renfort pour la nuit');
  await Promise.all([manager.page.waitForNavigation(), manager.page.click('form.point-form button[type=submit]')]);

  // The dashboard shows it without a reload.
  const row = cell.page.locator('#tableau tr', { hasText: 'Deux IDE de renfort pour la nuit' });
  await row.waitFor({ timeout: 10_000 });
  assert.match(await row.innerText(), new RegExp(unit));
  assert.match(await row.innerText(), /7 \/ 10/);
  assert.equal(await cell.page.evaluate(() => window.__sameDocument), true, 'no reload');

  // The pharmacist counts a stock; the dashboard follows live too.
  const pharmacist = await session(base, printed, 'pharmacien');
  await pharmacist.page.goto(new URL('crise/stocks', base).href);
  const firstStock = pharmacist.page.locator('form[action="/crise/stocks"]').first();
  await firstStock.locator('input[name=quantite]').fill('123');
  await Promise.all([pharmacist.page.waitForNavigation(), firstStock.locator('button[type=submit]').click()]);
  await cell.page.locator('#tableau td.quantity', { hasText: '123' }).first().waitFor({ timeout: 10_000 });
  assert.equal(await cell.page.evaluate(() => window.__sameDocument), true, 'still no reload');

  // The director closes the crisis and reads the report.
  await director.page.goto(new URL('crise/transition/cloture', base).href);
  await director.page.fill('#motif', 'Flux rétablis, SIH de nouveau disponible');
  await Promise.all([director.page.waitForNavigation(), director.page.click('form.crisis-form button[type=submit]')]);
  assert.equal(await director.page.locator('.crisis-banner').count(), 0, 'no banner once closed');
  await director.page.goto(new URL('crise/historique', base).href);
  const reportHref = await director.page.locator('main a[href^="/crise/rapport/"]:not([href$="/pdf"])').first().getAttribute('href');
  await director.page.goto(new URL(reportHref, base).href);
  const report = await director.page.locator('main').innerText();
  assert.match(report, /DMIA/);
  assert.match(report, /Deux IDE de renfort pour la nuit|7 \/ 10|orange/i);
  assert.ok(await director.page.locator('main svg').count() >= 1, 'the report has charts');
  const pdf = await director.page.request.get(new URL(`${reportHref}/pdf`, base).href);
  assert.equal(pdf.status(), 200);
  assert.match(pdf.headers()['content-type'], /application\/pdf/);
  const bytes = await pdf.body();
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');

  for (const who of [director, rssi, cell, manager, pharmacist]) {
    assert.deepEqual(who.violations, [], 'no CSP violation');
  }
});
