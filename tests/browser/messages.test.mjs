// Browser test of the secure messaging (issue 6), the "done when"
// in Debian's headless Chromium, with several people at once: in a
// `ckisa demo` node, the crisis director sends an urgent broadcast to
// everyone; a unit manager, whose messaging page is open, sees the strip
// appear without reloading, opens the broadcast and acknowledges it; the
// director's open broadcast page shows the tally move without reloading;
// a nurse opens a conversation with the lab and writes about a patient of
// her unit (#IPP); the lab, its conversation open, sees the message arrive
// and answers; the nurse sees the answer arrive; the search finds the
// message afterwards. No page breaks the content security policy, logs an
// error or gets a 5xx. All in French. Usage: node --test messages.test.mjs
// (binary path in CKISA_BIN, default target/debug/ckisa).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const binary = resolve(process.env.CKISA_BIN ?? 'target/debug/ckisa');
const dataDir = mkdtempSync(join(tmpdir(), 'ckisa-messages-'));

function startNode() {
  // --rate 0: the simulated HIS sends nothing, so the beds stay as they are.
  const child = spawn(binary, ['demo', '--data', dataDir, '--http', '127.0.0.1:0',
    '--mllp', '127.0.0.1:0', '--rate', '0'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  const node = { child, output: '' };
  let ready;
  node.started = new Promise((resolveStarted, reject) => {
    ready = resolveStarted;
    const timer = setTimeout(() => reject(new Error(`demo not ready in 90 s:\n${node.output}`)), 90_000);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`ckisa demo exited with ${code}:\n${node.output}`)); });
  });
  const onData = (chunk) => {
    node.output += chunk;
    const url = node.output.match(/http:\/\/127\.0\.0\.1:\d+\//);
    if (url && /Ctrl-C/.test(node.output)) ready({ base: url[0], printed: node.output });
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return node;
}

const node = startNode();
let browser;
const sessions = [];
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

/// The units of a demo account, from the printed list.
function unitsOf(printed, login) {
  const match = printed.match(new RegExp(`^\\s+${login}\\s+\\S+\\s+(\\S+)\\s`, 'm'));
  assert.ok(match, `the demo prints the units of ${login}:\n${printed}`);
  return match[1].split(',');
}

/// A person in a browser context of their own, logged in; what goes wrong
/// in their pages is collected.
async function session(base, printed, login) {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  const who = { login, page, violations: [], errors: [], failures: [] };
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to/.test(text)) who.violations.push(text);
    // Chromium asks every site for /favicon.ico, which the node does not serve.
    else if (message.type() === 'error' && !/\/favicon\.ico$/.test(message.location().url)) {
      who.errors.push(`${text} (${message.location().url})`);
    }
  });
  page.on('pageerror', (error) => who.errors.push(String(error)));
  page.on('response', (response) => {
    if (response.status() >= 500) who.failures.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(new URL('connexion', base).href);
  await page.fill('#login', login);
  await page.fill('#password', password(printed, login));
  await Promise.all([page.waitForNavigation(), page.click('form.account-form button[type=submit]')]);
  assert.doesNotMatch(page.url(), /connexion/, `${login} is logged in`);
  sessions.push(who);
  return who;
}

async function until(what, check, timeoutMs = 10_000) {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value) return { value, ms: Date.now() - start };
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/// Clicks what navigates and waits for the new page.
async function follow(page, target) {
  const locator = typeof target === 'string' ? page.locator(target) : target;
  const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
  assert.ok(response === null || response.status() < 400, `${response?.status()} ${response?.url()}`);
  return response;
}

/// Marks the document, to prove later that it was not reloaded.
async function mark(page) {
  await page.evaluate(() => { window.__sameDocument = true; });
}

async function sameDocument(page) {
  return page.evaluate(() => window.__sameDocument === true);
}

/// Waits until the page's live stream is connected.
async function live(page) {
  await page.waitForFunction(() => document.querySelector('#messagerie-etat')?.classList.contains('live'),
    null, { timeout: 10_000 });
}

/// The sum of a column of the broadcast tally.
/// A column of the tally's row for one unit (the unit manager of REA and
/// URG counts in both rows, so rows are not summed).
async function tallied(page, column, unit = 'REA') {
  const cell = page.locator(`#decompte tr[data-unite="${unit}"] td.${column}`);
  if ((await cell.count()) === 0) return 0;
  return parseInt(await cell.innerText(), 10) || 0;
}

/// Server log lines worth showing when a step fails.
function serverTrouble() {
  return node.output.split('\n').filter((l) => /ERROR|WARN|panicked/.test(l)).slice(-20).join('\n');
}

function step(name, body) {
  test(name, async () => {
    try {
      await body();
    } catch (error) {
      const trouble = serverTrouble();
      if (trouble) error.message += `\n--- server log ---\n${trouble}`;
      throw error;
    }
  });
}

const s = {};

step('1. the director broadcasts, the unit manager sees it live and acknowledges', async () => {
  const { base, printed } = await node.started;
  s.base = base;
  s.printed = printed;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const director = await session(base, printed, 'directeur');
  const manager = await session(base, printed, 'cadre');
  s.director = director;

  // The unit manager has her messaging open; nothing to acknowledge yet.
  await manager.page.goto(new URL('messagerie', base).href);
  assert.equal(await manager.page.locator('html').getAttribute('lang'), 'fr');
  assert.equal(await manager.page.locator('#banner .broadcast-strip').count(), 0);
  await live(manager.page);
  await mark(manager.page);

  // The director writes an urgent instruction to everyone.
  await director.page.goto(new URL('messagerie', base).href);
  await follow(director.page, 'a[href="/messagerie/diffusions/nouvelle"]');
  const instruction = 'Passage immédiat au dossier papier dans toutes les unités : kits au poste de soins';
  await director.page.fill('#texte', instruction);
  await director.page.check('input[name=priorite][value=urgent]');
  await director.page.check('input[name=tous]');
  await follow(director.page, 'form.broadcast-form button[type=submit]');
  assert.match(new URL(director.page.url()).pathname, /^\/messagerie\/diffusions\/[^/]+$/);
  s.broadcast = new URL(director.page.url()).pathname;
  assert.match(await director.page.locator('main').innerText(), /Passage immédiat au dossier papier/);
  const tally = director.page.locator('#decompte');
  await tally.waitFor();
  const acknowledgedBefore = await tallied(director.page, 'acknowledged');
  assert.equal(acknowledgedBefore, 0, await tally.innerText());
  await mark(director.page);

  // The strip appears in the manager's open page, without a reload.
  const strip = manager.page.locator('#banner .broadcast-strip');
  await strip.waitFor({ timeout: 10_000 });
  assert.match(await strip.innerText(), /Diffusions prioritaires à accuser : 1/);
  assert.ok(await sameDocument(manager.page), 'the manager\'s page was not reloaded');

  // She opens it and acknowledges.
  await follow(manager.page, strip.locator('a'));
  await follow(manager.page, manager.page.locator(`main a[href="${s.broadcast}"]`).first());
  assert.match(await manager.page.locator('main').innerText(), /Passage immédiat au dossier papier/);
  await follow(manager.page, 'form.broadcast-ack button[type=submit]');
  assert.equal(await manager.page.locator('#banner .broadcast-strip').count(), 0, 'nothing left to acknowledge');

});

step('2. the director sees the tally move in her open page', async () => {
  const { director } = s;
  assert.equal(await director.page.locator('#messagerie[data-flux]').count(), 1,
    'the broadcast page listens to the live stream (a #messagerie box for messages.js)');
  await live(director.page);
  await until('the acknowledgement in the tally', async () => (await tallied(director.page, 'acknowledged')) === 1);
  assert.ok(await sameDocument(director.page), 'the director\'s page was not reloaded');
  assert.ok(await tallied(director.page, 'read') >= 1);
});

step('3. a nurse and the lab exchange about a patient, each sees the other live', async () => {
  const { base, printed } = s;
  const nurse = await session(base, printed, 'infirmiere');
  const lab = await session(base, printed, 'labo');

  // A patient of the nurse's first unit, from its bed board.
  const unit = unitsOf(printed, 'infirmiere')[0];
  await nurse.page.goto(new URL(`unites/${unit}`, base).href);
  await follow(nurse.page, nurse.page.locator('table.board tbody th a').first());
  const ipp = (await nurse.page.locator('dl.identity div', { has: nurse.page.locator('dt', { hasText: /^IPP$/ }) })
    .locator('dd').first().innerText()).trim();
  assert.match(ipp, /^[A-Za-z0-9]+$/);
  s.ipp = ipp;

  // The nurse opens a conversation with the lab.
  await nurse.page.goto(new URL('messagerie', base).href);
  await nurse.page.selectOption('#direct-membre', 'labo');
  await follow(nurse.page, 'form:has(#direct-membre) button[type=submit]');
  assert.match(new URL(nurse.page.url()).pathname, /^\/messagerie\/canal\/direct/);
  const conversation = new URL(nurse.page.url()).pathname;
  assert.match(await nurse.page.locator('h1').innerText(), /Conversation avec Laboratoire/);

  // The lab opens it from its messaging home and keeps it open.
  await lab.page.goto(new URL('messagerie', base).href);
  await follow(lab.page, lab.page.locator(`a[href="${conversation}"]`));
  assert.match(await lab.page.locator('h1').innerText(), /Conversation avec Infirmière/);
  await live(lab.page);
  await mark(lab.page);

  // The nurse writes about her patient.
  const question = `Kaliémie hémolysée pour #${ipp} : pouvez-vous repasser prélever ?`;
  await nurse.page.fill('#texte', question);
  await follow(nurse.page, 'form.composer button[type=submit]');
  const mine = nurse.page.locator('#fil article.msg').last();
  assert.match(await mine.innerText(), /Kaliémie hémolysée pour/);
  const mention = mine.locator('a.mention.patient');
  assert.match(await mention.innerText(), new RegExp(`IPP ${ipp}`));
  assert.match(await mention.getAttribute('href'), /^\/patients\//);
  await live(nurse.page);
  await mark(nurse.page);

  // It arrives in the lab's open conversation, the patient named for the
  // lab (which may open every chart).
  const arrived = lab.page.locator('#fil article.msg', { hasText: 'Kaliémie hémolysée' });
  await arrived.waitFor({ timeout: 10_000 });
  assert.ok(await sameDocument(lab.page), 'the lab\'s page was not reloaded');
  assert.match(await arrived.locator('a.mention.patient').innerText(), new RegExp(`IPP ${ipp}`));

  // The lab answers; the nurse sees the answer arrive.
  await lab.page.fill('#texte', 'Préleveur en route, tube vert et tube rouge');
  await follow(lab.page, 'form.composer button[type=submit]');
  const answer = nurse.page.locator('#fil article.msg', { hasText: 'Préleveur en route' });
  await answer.waitFor({ timeout: 10_000 });
  assert.ok(await sameDocument(nurse.page), 'the nurse\'s page was not reloaded');
  assert.equal(await nurse.page.locator('#fil article.msg').count(), 2, 'each message once');

  // Afterwards, both find the exchange through the search.
  for (const who of [nurse, lab]) {
    await who.page.goto(new URL('messagerie', base).href);
    await who.page.fill('#mq', 'hemolysee');
    await follow(who.page, 'main form[action="/messagerie/recherche"] button[type=submit]');
    const results = await who.page.locator('main').innerText();
    assert.match(results, /1 message\(s\) trouvé\(s\)/, `${who.login}: ${results}`);
    assert.match(results, /Kaliémie hémolysée pour/);
  }
});

step('4. no page broke the security policy, logged an error or failed', async () => {
  assert.ok(sessions.length >= 4, 'every person took part');
  for (const who of sessions) {
    assert.deepEqual(who.violations, [], `${who.login}: CSP violations`);
    assert.deepEqual(who.errors, [], `${who.login}: console errors`);
    assert.deepEqual(who.failures, [], `${who.login}: 5xx answers`);
  }
});
