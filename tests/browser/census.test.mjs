// Browser test: starts a real `ckisa demo` node on free loopback ports,
// then reads the census and a patient summary in Debian's headless Chromium
// as a nurse would. Usage: node --test census.test.mjs (binary path in
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
  const url = new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed in 60 s:\n${output}`)), 60_000);
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (match) { clearTimeout(timer); resolveUrl(match[0]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => reject(new Error(`ckisa demo exited with ${code}:\n${output}`)));
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
  });
  return { child, url };
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
});

test('a nurse reads the census and a patient summary', async () => {
  const base = await node.url;
  await waitHealthy(base);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });

  // Units list: 20 units, in French, with the feed freshness bar.
  await page.goto(new URL('unites', base).href);
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  const unitLinks = page.locator('main th[scope=row] a[href^="/unites/"]');
  assert.equal(await unitLinks.count(), 20);
  assert.match(await page.locator('body').innerText(), /sih-demo : données à jour il y a \d+ (s|min)/);

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
});
