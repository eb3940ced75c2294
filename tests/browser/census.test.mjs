// Browser test: starts a real `ckisa demo` node on free loopback ports,
// logs in with the printed demo accounts, reads the census and a patient
// summary in Debian's headless Chromium as a nurse would, then checks as
// the IT security role that the nurse's reads are in the audit trail. Usage: node --test census.test.mjs (binary path in
// CKISA_BIN, default target/debug/ckisa) or node census.test.mjs BIN.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const binary = resolve(process.argv[2] && !process.argv[2].endsWith('.mjs')
  ? process.argv[2]
  : (process.env.CKISA_BIN ?? 'target/debug/ckisa'));
const dataDir = mkdtempSync(join(tmpdir(), 'ckisa-browser-'));

function startNode() {
  const child = spawn(binary, ['demo', '--data', dataDir, '--http', '127.0.0.1:0',
    '--mllp', '127.0.0.1:0', '--rate', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let accountsPrinted;
  const accounts = new Promise((resolve) => { accountsPrinted = resolve; });
  const url = new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed in 60 s:\n${output}`)), 60_000);
    const onData = (chunk) => {
      output += chunk;
      if (/demo-rssi-\S+/.test(output) && /Ctrl-C/.test(output)) accountsPrinted(output);
      const match = output.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (match) { clearTimeout(timer); resolveUrl(match[0]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => reject(new Error(`ckisa demo exited with ${code}:\n${output}`)));
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
  });
  return { child, url, output: accounts };
}

async function waitHealthy(base) {
  for (let i = 0; i < 100; i++) {
    try {
      const response = await fetch(new URL('healthz', base));
      if (response.ok) return;
    } catch { /* not yet listening */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('healthz never answered 200');
}

const node = startNode();
let browser;
after(async () => {
  await browser?.close();
  node.child.kill('SIGINT');
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(`${dataDir}.key`, { force: true });
});

async function logIn(page, base, login, password) {
  await page.goto(new URL('unites', base).href);
  await page.waitForURL(/\/connexion/);
  await page.fill('#login', login);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('form.account-form button[type=submit]')]);
}

test('a nurse reads the census and a patient summary; IT security sees it in the audit', async () => {
  const base = await node.url;
  await waitHealthy(base);
  const printed = await node.output;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  const violations = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) violations.push(message.text());
  });

  // Not logged in: every page sends to the login form; a wrong password
  // is refused in French and sets no session.
  await page.goto(new URL('unites', base).href);
  await page.waitForURL(/\/connexion\?suite=/);
  await page.fill('#login', 'infirmiere');
  await page.fill('#password', 'pas le bon mot de passe');
  await Promise.all([page.waitForNavigation(), page.click('form.account-form button[type=submit]')]);
  assert.match(await page.locator('main').innerText(), /Identifiant ou mot de passe incorrect/);

  // The demo printed one account per role; the nurse logs in.
  const nurse = printed.match(/infirmiere\s+.*?(demo-infirmiere-\S+)/);
  assert.ok(nurse, `the demo prints the nurse's password:\n${printed}`);
  await logIn(page, base, 'infirmiere', nurse[1]);
  await page.waitForURL(/\/unites$/);

  // Units list: 20 units with their counts, in French, with the feed
  // freshness bar; only the nurse's units link to their bed board.
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  assert.equal(await page.locator('main tbody tr:not(.total)').count(), 20);
  const unitLinks = page.locator('main th[scope=row] a[href^="/unites/"]');
  assert.equal(await unitLinks.count(), 2);
  assert.match(await page.locator('body').innerText(), /sih-demo : données à jour il y a \d+ (s|min)/);
  assert.match(await page.locator('header').innerText(), /Infirmière \(démo\)/);

  // Bed board of the first unit: beds with patients, ages, admission dates.
  await unitLinks.first().click();
  await page.waitForURL(/\/unites\//);
  const board = await page.locator('main').innerText();
  assert.match(board, /Libre|Lit/);
  assert.match(board, /\d{2}\/\d{2}\/\d{4}/, 'admission dates as dd/mm/yyyy');
  const patientLinks = page.locator('main a[href^="/patients/"]');
  assert.ok(await patientLinks.count() > 5, 'a unit holds patients');

  // Patient summary: identity with IPP and INS, allergies section first,
  // prescriptions and vitals with dates.
  const name = (await patientLinks.first().innerText()).trim();
  await patientLinks.first().click();
  await page.waitForURL(/\/patients\//);
  const summaryPath = new URL(page.url()).pathname;
  const summary = await page.locator('main').innerText();
  const family = name.split(/\s+/)[0];
  assert.ok(summary.includes(family), `summary shows ${family}`);
  assert.match(summary, /IPP/);
  assert.match(summary, /INS/);
  assert.match(summary, /Allergies|Aucune allergie enregistrée/);
  assert.match(summary, /Prescriptions/);
  assert.match(summary, /\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/, 'dated vitals or results');
  assert.doesNotMatch(summary, /""/);

  // Search by family name finds the same patient.
  await page.goto(new URL(`recherche?q=${encodeURIComponent(family)}`, base).href);
  assert.ok(await page.locator('main a[href^="/patients/"]').count() >= 1);
  assert.deepEqual(violations, [], 'no CSP violation: no inline script or style');

  // Logging out ends the session: the back button shows nothing.
  await Promise.all([page.waitForNavigation(), page.click('header .user form[action="/deconnexion"] button')]);
  await page.goto(new URL('unites', base).href);
  await page.waitForURL(/\/connexion/);

  // IT security reads the nurse's reads in the audit trail, not the charts.
  const rssi = printed.match(/rssi\s+.*?(demo-rssi-\S+)/);
  assert.ok(rssi, 'the demo prints the IT security password');
  await logIn(page, base, 'rssi', rssi[1]);
  await page.goto(new URL('audit?acteur=infirmiere', base).href);
  const trail = await page.locator('main').innerText();
  assert.match(trail, /patient\.chart/);
  assert.match(trail, /unit\.board/);
  assert.match(trail, /login\.failed|login/);
  const chart = await page.goto(new URL(summaryPath, base).href);
  assert.equal(chart.status(), 403);
});
