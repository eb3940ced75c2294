// Browser test of the clinical capsule in degraded mode (issue 5), the
// issue's "done when" in Debian's headless Chromium, as the people who use
// it: a `ckisa demo` node whose simulated HIS sends nothing (the HIS is
// down); the crisis director declares the crisis; a nurse records doses
// behind a wristband check, vitals with their NEWS2 score and a targeted
// note for the handover; a physician signs a prescription despite an
// allergy warning and the pharmacist validates it; a lab request prints a
// label that the lab scans to enter a critical potassium, which the unit
// sees flagged; an unknown patient is admitted with a provisional IPP and
// moved, and two terminals admitting into one bed see a conflict; the
// unit's paper pack is downloaded; after recovery the re-integration
// worklist counts exactly what was entered, the FHIR and HL7 exports are
// downloaded and the provisional identity is matched. All in French.
// Usage: node --test care.test.mjs (binary path in CKISA_BIN, default
// target/debug/ckisa).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const binary = resolve(process.env.CKISA_BIN ?? 'target/debug/ckisa');
const dataDir = mkdtempSync(join(tmpdir(), 'ckisa-care-'));
const PDFTOTEXT = '/usr/bin/pdftotext';

function startNode() {
  // --rate 0: the simulated HIS sends nothing, as during a real downtime,
  // so no feed message takes a free bed while the test uses it.
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

/// The login of the demo account with `role`, from the printed list.
function loginOf(printed, role) {
  const match = printed.match(new RegExp(`^\\s+(\\S+)\\s+${role}\\s`, 'm'));
  assert.ok(match, `the demo prints an account with the role ${role}:\n${printed}`);
  return match[1];
}

/// The units of a demo account, from the printed list.
function unitsOf(printed, login) {
  const match = printed.match(new RegExp(`^\\s+${login}\\s+\\S+\\s+(\\S+)\\s`, 'm'));
  assert.ok(match, `the demo prints the units of ${login}`);
  return match[1].split(',');
}

async function session(base, printed, login) {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  const violations = [];
  const failures = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) violations.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 500) failures.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(new URL('connexion', base).href);
  await page.fill('#login', login);
  await page.fill('#password', password(printed, login));
  await Promise.all([page.waitForNavigation(), page.click('form.account-form button[type=submit]')]);
  assert.doesNotMatch(page.url(), /connexion/, `${login} is logged in`);
  const who = { login, page, violations, failures };
  sessions.push(who);
  return who;
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

/// Clicks what navigates and waits for the new page; returns its response.
async function follow(page, target) {
  const locator = typeof target === 'string' ? page.locator(target) : target;
  const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
  return response;
}

/// Submits a form the way a scanner does: the value typed, then Enter.
async function scan(page, selector, text) {
  await page.fill(selector, text);
  const [response] = await Promise.all([page.waitForNavigation(), page.press(selector, 'Enter')]);
  return response;
}

/// The "Soins" entry of the navigation, then the link of a unit's row.
async function openUnitPage(who, unit, linkText) {
  await follow(who.page, who.page.locator('nav a', { hasText: /^Soins$/ }));
  assert.match(who.page.url(), /\/soins$/);
  const row = who.page.locator('table.ward-units tbody tr', { has: who.page.locator('.tag', { hasText: new RegExp(`^${unit}$`) }) });
  await follow(who.page, row.getByRole('link', { name: linkText, exact: true }));
}

async function mainText(page) {
  return page.locator('main').innerText();
}

/// The value of a `dl.identity` entry.
async function identity(page, label) {
  return (await page.locator('dl.identity div', { has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) })
    .locator('dd').first().innerText()).trim();
}

/// Server log lines worth showing when a step fails.
function serverTrouble() {
  return node.output.split('\n').filter((l) => /ERROR|WARN|panicked/.test(l)).slice(-20).join('\n');
}

/// The text of a PDF, pages separated by form feeds, when pdftotext is
/// installed; null otherwise.
function pdfText(bytes) {
  if (!existsSync(PDFTOTEXT)) return null;
  const text = spawnSync(PDFTOTEXT, ['-layout', '-', '-'], { input: bytes, encoding: 'utf8' });
  assert.equal(text.status, 0, text.stderr);
  return text.stdout;
}

/// One step of the scenario: its own test, so that a broken page fails
/// that step (with the server's errors) and the next steps still run.
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

// What the scenario shares between steps and what it recorded, by the
// re-integration worklist's kinds.
const s = {};
const recorded = new Map();
function count(kind, n = 1) { recorded.set(kind, (recorded.get(kind) ?? 0) + n); }

step('1. the crisis director declares the crisis', async () => {
  const { base, printed } = await node.started;
  s.base = base;
  s.printed = printed;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  s.director = await session(base, printed, 'directeur');
  const page = s.director.page;
  await page.goto(new URL('crise', base).href);
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  assert.match(await mainText(page), /Aucune crise déclarée/);
  await follow(page, 'a[href="/crise/transition/declarer"]');
  await page.check('input[name=niveau][value="2"]');
  await page.fill('#motif', 'SIH à l\'arrêt : passage de tous les services en mode dégradé');
  await follow(page, 'form.crisis-form button[type=submit]');
  assert.match(await page.locator('.crisis-banner').innerText(), /Crise déclarée — niveau 2/);
});

step('2. a nurse records doses, vitals and a note for the handover', async () => {
  const { base, printed } = s;
  s.nurse = await session(base, printed, 'infirmiere');
  const page = s.nurse.page;
  const scope = unitsOf(printed, 'infirmiere');
  await page.goto(base);
  await follow(page, page.locator('nav a', { hasText: /^Soins$/ }));
  assert.match(await mainText(page), /Vos unités/);
  assert.doesNotMatch(await mainText(page), /lecture seule/, 'documentation is open during the crisis');
  const firstRow = page.locator('table.ward-units tbody tr').first();
  s.unit = (await firstRow.locator('.tag').innerText()).trim();
  assert.ok(scope.includes(s.unit), `${s.unit} is one of the nurse's units ${scope}`);
  s.unitName = (await firstRow.locator('th').innerText()).replace(s.unit, '').trim();
  s.units = await page.locator('table.ward-units tbody tr .tag').allInnerTexts();
  const overdue = Number((await firstRow.locator('td').nth(1).innerText()).trim());
  assert.ok(Number.isInteger(overdue), 'the overdue doses of each unit are shown');
  await follow(page, firstRow.getByRole('link', { name: 'Plan d\'administration', exact: true }));
  assert.equal(new URL(page.url()).pathname, `/soins/unites/${s.unit}`);
  assert.match(await page.locator('h1').innerText(), new RegExp(`Plan d'administration — .*${s.unit}`));
  assert.equal(await page.locator('.ward-overdue-total').innerText(), `${overdue} dose(s) en retard`);

  // A patient with at least three doses planned on the two shifts.
  const doses = 'td.ward-cell.overdue a, td.ward-cell.due a, td.ward-cell.upcoming a';
  const groups = page.locator('tbody.ward-patient');
  let group;
  for (let i = 0; i < await groups.count(); i += 1) {
    if (await groups.nth(i).locator(doses).count() >= 3) { group = groups.nth(i); break; }
  }
  assert.ok(group, 'a patient of the unit has three doses to record');
  const patientLink = group.locator('tr.ward-patient-row a').first();
  s.patientName = (await patientLink.innerText()).trim();
  s.patientHref = await patientLink.getAttribute('href');
  // Three doses of different prescriptions when there are; the dose not
  // given and the dose held are past ones (overdue or due) when there are,
  // as a nurse documents them.
  const planned = await group.locator(doses).evaluateAll((links) => links.map((a) => ({
    href: a.getAttribute('href'),
    past: !a.parentElement.classList.contains('upcoming'),
  })));
  planned.sort((a, b) => Number(b.past) - Number(a.past));
  const chosen = [];
  const prescriptionOf = (dose) => new URL(dose.href, base).searchParams.get('prescription');
  for (const dose of planned) {
    if (chosen.length < 3 && !chosen.some((c) => prescriptionOf(c) === prescriptionOf(dose))) chosen.push(dose);
  }
  for (const dose of planned) {
    if (chosen.length < 3 && !chosen.includes(dose)) chosen.push(dose);
  }
  // [given, not given, held]
  const [givenDose, notGivenDose, heldDose] = [chosen[2], chosen[0], chosen[1]];
  const picked = [givenDose.href, notGivenDose.href, heldDose.href];
  const cell = (href) => page.locator(`td.ward-cell:has(a[href="${href}"])`);
  const groupOf = () => page.locator('tbody.ward-patient', { has: page.locator(`a[href="${s.patientHref}"]`) });
  const outcomes = async () => ({
    given: await groupOf().locator('td.ward-cell.given').count(),
    notGiven: await groupOf().locator('td.ward-cell.not-given').count(),
    held: await groupOf().locator('td.ward-cell.held').count(),
  });
  const before = await outcomes();

  // A wrong wristband is refused and nothing is recorded.
  const classBefore = await cell(picked[0]).getAttribute('class');
  await follow(page, page.locator(`a[href="${picked[0]}"]`));
  assert.match(await page.locator('h2', { hasText: 'Enregistrer une administration' }).innerText(), /administration/);
  s.ipp = await identity(page, 'IPP');
  assert.match(s.ipp, /^\S+$/);
  const wrong = s.ipp === '99999999' ? '88888888' : '99999999';
  const refused = await scan(page, '#a-bracelet', wrong);
  assert.equal(refused.status(), 400);
  const error = await page.locator('form.ward-record-form .error-message').innerText();
  assert.match(error, new RegExp(`Le bracelet lu \\(« ${wrong} »\\) ne correspond pas à .*${s.ipp}`));
  assert.match(error, /rien n'a été enregistré/);
  await follow(page, page.locator('.ward-links a', { hasText: 'Retour' }));
  assert.deepEqual(await outcomes(), before, 'nothing recorded after a wrong wristband');
  assert.equal(await cell(picked[0]).getAttribute('class'), classBefore);

  // Given, with the right wristband (the IPP typed).
  await follow(page, page.locator(`a[href="${picked[0]}"]`));
  assert.ok(await page.isChecked('#r-donne'), '"Donné" is the default');
  assert.notEqual(await page.inputValue('#a-dose'), '', 'the dose is prefilled from the prescription');
  const given = await scan(page, '#a-bracelet', s.ipp);
  assert.equal(given.status(), 200);
  assert.equal(new URL(page.url()).pathname, `/soins/unites/${s.unit}`, 'back to the grid');
  assert.equal(await page.locator(`a[href="${picked[0]}"]`).count(), 0, 'a dose given is no longer a link');
  count('administration');

  // Not given, with a reason.
  await follow(page, page.locator(`a[href="${picked[1]}"]`));
  await page.check('#r-non-donne');
  await page.selectOption('#a-motif', { label: 'refus du patient' });
  await page.fill('#a-motif-texte', 'nausées, refuse le comprimé');
  await scan(page, '#a-bracelet', s.ipp);
  assert.match(await cell(picked[1]).getAttribute('class'), /not-given/);
  assert.match(await cell(picked[1]).innerText(), /Non donné/);
  assert.match(await cell(picked[1]).innerText(), /refus du patient|nausées/);
  count('administration');

  // Held.
  await follow(page, page.locator(`a[href="${picked[2]}"]`));
  await page.check('#r-differe');
  await page.selectOption('#a-motif', { label: 'patient à jeun' });
  await scan(page, '#a-bracelet', s.ipp);
  assert.match(await cell(picked[2]).getAttribute('class'), /held/);
  assert.match(await cell(picked[2]).innerText(), /Différé/);
  count('administration');
  const after = await outcomes();
  assert.deepEqual(after, { given: before.given + 1, notGiven: before.notGiven + 1, held: before.held + 1 });

  // Vitals on the patient's care record, and their NEWS2 score:
  // 38,5 °C (1), 115/min (2), 95/60 (2), SpO2 93 % on air (2, scale 1),
  // 24/min (2), alert (0): 9, high risk.
  await follow(page, page.locator(`tbody.ward-patient a[href="${s.patientHref}"]`));
  assert.match(await page.locator('#ward-patient').innerText(), new RegExp(s.patientName));
  await page.fill('#v-temperature', '38,5');
  await page.fill('#v-fc', '115');
  await page.fill('#v-pa', '95/60');
  await page.fill('#v-spo2', '93');
  await page.check('#v-o2-non');
  await page.fill('#v-fr', '24');
  await page.selectOption('#v-conscience', { label: 'A — alerte' });
  await follow(page, page.locator('form.ward-vitals-form button[type=submit]'));
  assert.equal(await page.locator('form.ward-vitals-form .error-message').count(), 0,
    await page.locator('form.ward-vitals-form .error-message').allInnerTexts().then(String));
  const news2 = await page.locator('#constantes .ward-news2').innerText();
  assert.match(news2, /Score NEWS2 9 — risque élevé/);
  assert.match(news2, /Réponse d'urgence/);
  count('constantes', 7); // the six parameters and "air ambiant"

  // A targeted note for the handover.
  await page.fill('#n-cible', 'Hyperthermie');
  await page.fill('#n-donnees', 'T 38,5 °C, frissons, NEWS2 à 9');
  await page.fill('#n-actions', 'Interne prévenu, hémocultures prélevées');
  await page.fill('#n-resultats', 'À réévaluer dans une heure');
  await page.check('#n-releve');
  await follow(page, page.locator('form.ward-note-form button[type=submit]'));
  assert.match(await page.locator('#transmissions').innerText(), /Hyperthermie/);
  count('transmission ciblée');
  await openUnitPage(s.nurse, s.unit, 'Relève');
  assert.equal(new URL(page.url()).pathname, `/soins/unites/${s.unit}/releve`);
  const bed = page.locator('article.ward-handover-bed', { has: page.locator(`h2 a[href="${s.patientHref}"]`) });
  const handover = await bed.innerText();
  assert.match(handover, /Hyperthermie/);
  assert.match(handover, /Interne prévenu, hémocultures prélevées/);
  assert.match(handover, /relève/);
  // The handover lists the doses of the shift so far: the dose not given
  // and the dose held when they were planned before now.
  if (notGivenDose.past) assert.match(handover, /non donné — refus du patient/);
  if (heldDose.past) assert.match(handover, /différé — patient à jeun/);
});

// Drug classes of the demo's allergens, and a drug of each class.
const ALLERGY_DRUGS = [
  [/p[ée]nicilline/i, 'AMOXICILLINE 1 g'],
  [/c[ée]phalosporine/i, 'CEFTRIAXONE 1 g'],
  [/aspirine/i, 'ASPIRINE 500 mg'],
  [/AINS/, 'IBUPROFENE 400 mg'],
  [/morphine/i, 'MORPHINE 10 mg'],
  [/sulfam[ée]thoxazole/i, 'SULFAMETHOXAZOLE 800 mg'],
];

step('3. a physician signs despite an allergy warning; the pharmacist validates', async () => {
  const { base, printed } = s;
  s.physician = await session(base, printed, 'medecin');
  const page = s.physician.page;
  await page.goto(base);
  // A patient with a drug allergy in the nurse's units, found on the
  // handover pages (which spell the allergies out).
  let found;
  for (const [allergy, drug] of ALLERGY_DRUGS) {
    for (const unit of s.units) {
      await openUnitPage(s.physician, unit, 'Relève');
      const beds = page.locator('article.ward-handover-bed', { has: page.locator('.allergies-inline', { hasText: allergy }) });
      if (await beds.count() > 0) {
        found = { bed: beds.first(), allergy, drug, unit };
        break;
      }
    }
    if (found) break;
  }
  assert.ok(found, 'a patient of the nurse\'s units has a drug allergy');
  const link = found.bed.locator('h2 a');
  s.rxPatient = (await link.innerText()).trim();
  s.rxPatientHref = await link.getAttribute('href');
  s.rxDrug = found.drug;
  await follow(page, link);
  assert.match(await page.locator('.ward-head .allergies').innerText(), found.allergy);
  await follow(page, page.locator('#prescriptions a.button', { hasText: 'Prescrire' }));
  await page.fill('#p-medicament', s.rxDrug);
  await page.fill('#p-dose', s.rxDrug.split(' ').slice(1).join(' '));
  await page.fill('#p-voie', 'PO');
  await page.fill('#p-frequence', '3 fois par jour');
  await page.fill('#p-duree', '7 j');
  await page.fill('#p-commentaire', 'Prescription de test en mode dégradé');
  const warned = await follow(page, page.locator('form.ward-prescribe-form button[type=submit]', { hasText: 'Signer la prescription' }));
  assert.notEqual(warned.status(), 303);
  const warnings = await page.locator('section.ward-warnings').innerText();
  assert.match(warnings, /Alertes avant signature/);
  assert.match(warnings, /contre-indication/);
  assert.match(warnings, found.allergy);
  // Nothing signed yet.
  assert.doesNotMatch(await page.locator('table.ward-prescriptions').innerText(), new RegExp(s.rxDrug.split(' ')[0]));
  await page.check('#p-signer');
  assert.match(await page.locator('label[for=p-signer]').innerText(), /Signer malgré l'alerte/);
  await follow(page, page.locator('form.ward-prescribe-form button[type=submit]'));
  assert.equal(await page.locator('section.ward-warnings').count(), 0, 'signed');
  const row = page.locator('#prescriptions table.ward-prescriptions tbody tr', { hasText: s.rxDrug.split(' ')[0] });
  assert.equal(await row.count(), 1, 'the prescription appears');
  assert.match(await row.innerText(), /à valider par la pharmacie/);
  assert.match(await row.innerText(), /prescrite en mode dégradé/);
  count('prescription');

  // The pharmacist validates it.
  s.pharmacist = await session(base, printed, 'pharmacien');
  const pharmacy = s.pharmacist.page;
  await follow(pharmacy, pharmacy.locator('nav a', { hasText: /^Soins$/ }));
  await follow(pharmacy, pharmacy.locator('a[href="/soins/pharmacie"]', { hasText: /prescription\(s\) à valider/ }));
  const pending = pharmacy.locator('article.ward-pending', { hasText: s.rxDrug.split(' ')[0] })
    .filter({ hasText: s.rxPatient });
  assert.equal(await pending.count(), 1, 'the pharmacist sees the new prescription');
  assert.match(await pending.locator('.ward-warnings').innerText(), /contre-indication/);
  await pending.getByLabel('Valider', { exact: true }).check();
  await follow(pharmacy, pending.locator('button[type=submit]', { hasText: 'Donner l\'avis' }));
  assert.equal(await pharmacy.locator('article.ward-pending', { hasText: s.rxPatient }).filter({ hasText: s.rxDrug.split(' ')[0] }).count(), 0);
  assert.match(await pharmacy.locator('table.ward-reviewed').innerText(), /validée par/);
  count('validation pharmaceutique');

  // The nurse sees it reviewed on the patient's care record.
  const nurse = s.nurse.page;
  await openUnitPage(s.nurse, found.unit, 'Plan d\'administration');
  await follow(nurse, nurse.locator(`tr.ward-patient-row a[href="${s.rxPatientHref}"]`));
  const seen = nurse.locator('#prescriptions table.ward-prescriptions tbody tr', { hasText: s.rxDrug.split(' ')[0] });
  assert.match(await seen.innerText(), /validée par/);
});

step('4. a lab request prints a label; the lab scans it and enters a critical potassium', async () => {
  const { base, printed } = s;
  const page = s.nurse.page;
  await openUnitPage(s.nurse, s.unit, 'biologie');
  assert.equal(new URL(page.url()).pathname, `/soins/unites/${s.unit}/biologie`);
  await follow(page, page.locator('main a', { hasText: 'Lits et patients de l\'unité' }));
  const row = page.locator('table.flow-beds tbody tr', { hasText: s.ipp });
  await follow(page, row.getByRole('link', { name: 'Demande de biologie' }));
  assert.match(await page.locator('h1').innerText(), /Demande d'examen de biologie/);
  assert.equal(await identity(page, 'IPP'), s.ipp);
  await page.getByLabel('Ionogramme sanguin').check();
  await page.fill('#prescripteur', 'Dr Interne de garde');
  await page.fill('#commentaire', 'Contrôle kaliémie');
  await follow(page, page.locator('form.flow-form button[type=submit]'));
  assert.match(await page.locator('h1').innerText(), /Étiquette de prélèvement/);
  const label = await page.locator('.specimen-label').innerText();
  assert.match(label, new RegExp(s.ipp));
  assert.match(label, /Ionogramme/);
  s.labId = (await page.locator('.specimen-label .label-id').innerText()).trim();
  const barcodeText = (await page.locator('.specimen-label .barcode-text').innerText()).trim();
  assert.ok(s.labId.length > 0, 'the label shows the request id');
  assert.equal(barcodeText.replace(/\s/g, ''), s.labId.replace(/\s/g, ''), 'the barcode encodes the request id');
  assert.ok(await page.locator('.specimen-label svg.barcode rect').count() > 10, 'a barcode is drawn');
  const labelHref = await page.locator('a.button', { hasText: 'Imprimer l\'étiquette (PDF)' }).getAttribute('href');
  const labelPdf = await page.request.get(new URL(labelHref, base).href);
  assert.equal(labelPdf.status(), 200);
  assert.equal((await labelPdf.body()).subarray(0, 5).toString('latin1'), '%PDF-');
  const labelText = pdfText(await labelPdf.body());
  if (labelText !== null) assert.match(labelText, new RegExp(s.ipp));
  count('demande d\'examen');

  // The lab scans the label and enters the results.
  s.lab = await session(base, printed, loginOf(printed, 'laboratoire'));
  const lab = s.lab.page;
  await follow(lab, lab.locator('nav a', { hasText: /^Soins$/ }));
  await follow(lab, lab.locator('a[href="/soins/labo"]'));
  await scan(lab, '#etiquette', barcodeText);
  const found = await lab.locator('section.check-tube').innerText();
  assert.match(found, new RegExp(s.ipp));
  assert.match(found, new RegExp(s.patientName.split(' ')[0]));
  const potassium = lab.locator('table.lab-results tr', { has: lab.locator('label', { hasText: 'Potassium' }) });
  await potassium.locator('input[inputmode=decimal]').fill('7,1');
  await follow(lab, lab.locator('form.flow-form button[type=submit]', { hasText: 'Enregistrer les résultats' }));
  assert.equal(await lab.locator('.error-message').count(), 0,
    await lab.locator('.error-message').allInnerTexts().then(String));
  assert.match(await mainText(lab), /Résultats enregistrés/);
  count('résultat d\'examen');

  // The requesting unit sees it flagged critical.
  await openUnitPage(s.nurse, s.unit, 'biologie');
  assert.match(await page.locator('.alert-strip').innerText(), /Résultats critiques à prendre en compte \(1\)/);
  const request = page.locator('table.lab-requests tbody tr', { hasText: s.labId });
  assert.match(await request.getAttribute('class'), /critical/);
  const value = await request.locator('ul.lab-values li', { hasText: 'Potassium' }).innerText();
  assert.match(value, /7,1/);
  assert.match(value, /résultat critique/);
});

step('5. admission with a provisional identity, transfer, and a bed conflict', async () => {
  const { base, printed } = s;
  const page = s.nurse.page;
  await openUnitPage(s.nurse, s.unit, 'admissions et mouvements');
  const free = page.locator('table.flow-beds tbody tr.free');
  assert.ok(await free.count() >= 3, `three free beds in ${s.unit}`);
  s.admitBed = (await free.nth(0).locator('td').first().innerText()).trim();
  await follow(page, free.nth(0).getByRole('link', { name: 'Admettre ici' }));
  const hint = await page.locator('p.hint').innerText();
  const range = hint.match(/(\d+)-(\d+)/);
  assert.ok(range, `the form names the provisional IPP range: ${hint}`);
  await page.getByLabel(/Identité inconnue/).check();
  await page.selectOption('#sexe', 'M');
  await page.fill('#age', '40');
  assert.equal(await page.locator('#lit option:checked').innerText(), s.admitBed, 'the bed clicked is chosen');
  await follow(page, page.locator('form.flow-form button[type=submit]'));
  assert.match(await mainText(page), /Patient admis avec une identité provisoire/);
  const band = await page.locator('.wristband').innerText();
  assert.match(band, /INCONNU/);
  assert.match(band, /identité provisoire/);
  s.provisionalIpp = (await page.locator('.wristband strong').first().innerText()).trim();
  assert.ok(BigInt(s.provisionalIpp) >= BigInt(range[1]) && BigInt(s.provisionalIpp) <= BigInt(range[2]),
    `${s.provisionalIpp} is in the downtime range ${range[0]}`);
  assert.equal(await page.locator('.wristband svg.barcode').count(), 1, 'the wristband has a barcode');
  assert.equal((await page.locator('.wristband .barcode-text').innerText()).trim(), s.provisionalIpp);
  count('identité provisoire');
  count('admission');

  // Transfer to another free bed of the unit.
  await follow(page, page.locator('main a', { hasText: 'Retour à l\'unité' }));
  const admitted = page.locator('table.flow-beds tbody tr', { hasText: s.provisionalIpp });
  assert.equal((await admitted.locator('td').first().innerText()).trim(), s.admitBed);
  await follow(page, admitted.getByRole('link', { name: 'Mutation' }));
  assert.equal(await page.locator('#choix-unite option:checked').getAttribute('value'), s.unit);
  const options = await page.locator('#lit option').evaluateAll((list) => list.map((o) => [o.value, o.textContent.trim()]));
  const target = options.find(([value, text]) => value && text !== s.admitBed);
  assert.ok(target, 'a free bed to move to');
  s.transferBed = target[1];
  await page.selectOption('#lit', target[0]);
  await follow(page, page.locator('form.flow-form button[type=submit]', { hasText: 'Enregistrer la mutation' }));
  assert.equal(await page.locator('.error-message').count(), 0);
  count('mutation');

  // The bed board follows.
  await follow(page, page.locator('nav a', { hasText: /^Unités$/ }));
  await follow(page, page.locator(`main a[href="/unites/${s.unit}"]`).first());
  const boardRow = (bedLabel) => {
    const [room, bedName] = bedLabel.split(' / ');
    return page.locator('table.board tbody tr').filter({
      has: page.locator(`td:nth-child(1):text-is("${room}")`),
    }).filter({ has: page.locator(`td:nth-child(2):text-is("${bedName}")`) });
  };
  assert.match(await boardRow(s.transferBed).innerText(), /INCONNU/);
  assert.match(await boardRow(s.admitBed).innerText(), /Libre/);

  // Two terminals load the admission form of one free bed.
  s.manager = await session(base, printed, 'cadre');
  const other = s.manager.page;
  await openUnitPage(s.nurse, s.unit, 'admissions et mouvements');
  const bedRow = page.locator('table.flow-beds tbody tr.free').first();
  s.conflictBed = (await bedRow.locator('td').first().innerText()).trim();
  await follow(page, bedRow.getByRole('link', { name: 'Admettre ici' }));
  await openUnitPage(s.manager, s.unit, 'admissions et mouvements');
  await follow(other, other.locator('table.flow-beds tbody tr.free', { hasText: s.conflictBed }).getByRole('link', { name: 'Admettre ici' }));
  for (const [who, family, given, sex] of [[page, 'PREMIERPOSTE', 'Paul', 'M'], [other, 'SECONDPOSTE', 'Luc', 'M']]) {
    await who.fill('#nom', family);
    await who.fill('#prenom', given);
    await who.selectOption('#sexe', sex);
    assert.equal(await who.locator('#lit option:checked').innerText(), s.conflictBed);
  }
  const first = await follow(page, page.locator('form.flow-form button[type=submit]'));
  assert.equal(first.status(), 200);
  assert.match(await page.locator('.wristband').innerText(), /PREMIERPOSTE/);
  count('identité provisoire');
  count('admission');
  const second = await follow(other, other.locator('form.flow-form button[type=submit]'));
  assert.equal(second.status(), 409, 'the second terminal gets a conflict');
  const conflict = await mainText(other);
  assert.match(conflict, new RegExp(`Le lit ${s.conflictBed} vient d'être occupé par PREMIERPOSTE Paul depuis un autre poste`));
  assert.equal(await other.locator('html').getAttribute('lang'), 'fr');
  // The form comes back with the navigation and the beds still free.
  assert.equal(await other.locator('form.flow-form').count(), 1, 'the admission form again');
  assert.ok(await other.locator('nav a').count() > 0, 'the navigation stays');
  assert.equal(await other.locator('#lit option', { hasText: s.conflictBed }).count(), 0,
    'the taken bed is no longer offered');
  await follow(other, other.locator('nav a[href="/unites"]'));
  await follow(other, other.locator(`main a[href="/unites/${s.unit}"]`).first());
  const board = await other.locator('table.board').innerText();
  assert.match(board, /PREMIERPOSTE/);
  assert.doesNotMatch(board, /SECONDPOSTE/);
});

step('6. the paper pack: parts listed, census PDF with its data time', async () => {
  const page = s.nurse.page;
  await openUnitPage(s.nurse, s.unit, 'dossier papier de secours');
  assert.equal(new URL(page.url()).pathname, `/soins/unites/${s.unit}/secours`);
  const parts = await page.locator('ul.flow-parts a').allInnerTexts();
  for (const part of ['Recensement', 'Feuilles d\'administration', 'Plans de soins', 'Formulaires vierges',
    'Étiquettes patients', 'Rendez-vous', 'Régimes']) {
    assert.ok(parts.includes(part), `the pack lists « ${part} »: ${parts}`);
  }
  // Every part is a PDF, and every page of it says when its data is from.
  for (const link of await page.locator('ul.flow-parts a').all()) {
    const title = await link.innerText();
    const pdf = await page.request.get(new URL(await link.getAttribute('href'), s.base).href);
    assert.equal(pdf.status(), 200, title);
    assert.match(pdf.headers()['content-type'], /application\/pdf/, title);
    const bytes = await pdf.body();
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-', title);
    const text = pdfText(bytes);
    if (text === null) continue;
    const pages = text.split('\f').filter((p) => p.trim());
    assert.ok(pages.length > 0, title);
    pages.forEach((p, i) => assert.match(p, /Données du \d{2}\/\d{2}\/\d{4} à \d{2}:\d{2}/, `${title}, page ${i + 1}`));
    if (title === 'Recensement') {
      assert.match(text, new RegExp(s.unitName.replace(/[()]/g, '.')));
      assert.match(text, /INCONNU/, 'the census has the patient admitted during the downtime');
      assert.match(text, new RegExp(s.patientName));
    }
  }
});

step('7. recovery: the re-integration worklist, the exports and the identity match', async () => {
  const page = s.director.page;
  await follow(page, page.locator('nav a', { hasText: /^Crise$/ }));
  await follow(page, 'a[href="/crise/transition/retour"]');
  await page.fill('#motif', 'SIH de nouveau disponible, flux relancés');
  await follow(page, 'form.crisis-form button[type=submit]');
  await follow(page, page.locator('nav a', { hasText: /^Crise$/ }));
  await follow(page, 'a[href="/crise/transition/cloture"]');
  await page.fill('#motif', 'Retour à la normale');
  await follow(page, 'form.crisis-form button[type=submit]');
  assert.equal(await page.locator('.crisis-banner').count(), 0, 'no banner once closed');

  await follow(page, page.locator('nav a', { hasText: /^Soins$/ }));
  await follow(page, page.locator('a[href="/soins/reintegration"]'));
  assert.match(await page.locator('h1').innerText(), /Réintégration dans le SIH/);
  const total = [...recorded.values()].reduce((a, b) => a + b, 0);
  assert.match(await page.locator('p.totals').innerText(),
    new RegExp(`^${total} éléments saisis en mode dégradé : ${total} en attente, 0 confirmés, 0 rejetés`));
  const shown = new Map();
  for (const row of await page.locator('table.reint-counts tbody tr').all()) {
    const cells = (await row.locator('th, td').allInnerTexts()).map((t) => t.trim());
    assert.equal(cells[2], cells[1], `${cells[0]}: all pending`);
    shown.set(cells[0], Number(cells[1]));
  }
  assert.deepEqual(Object.fromEntries([...shown].sort()), Object.fromEntries([...recorded].sort()),
    'the counts by kind are what the test recorded');
  const statuses = await page.locator('table.reint-items tbody tr .badge').allInnerTexts();
  assert.equal(statuses.length, total);
  assert.ok(statuses.every((t) => t.trim() === 'en attente'), `all pending: ${statuses}`);
  assert.match(await page.locator('table.reint-items').innerText(), new RegExp(s.patientName));

  // The exports, downloaded from the page.
  const [fhir] = await Promise.all([page.waitForEvent('download'),
    page.click('a[href="/soins/reintegration/export.json"]')]);
  const bundle = JSON.parse(readFileSync(await fhir.path(), 'utf8'));
  assert.equal(bundle.resourceType, 'Bundle');
  assert.equal(bundle.type, 'transaction');
  assert.ok(Array.isArray(bundle.entry) && bundle.entry.length > 0, 'the bundle has entries');
  const types = bundle.entry.map((e) => e.resource?.resourceType);
  assert.equal(types.filter((t) => t === 'MedicationAdministration').length, recorded.get('administration'));
  assert.ok(bundle.entry.every((e) => e.request?.method), 'every entry is a transaction request');
  const [hl7] = await Promise.all([page.waitForEvent('download'),
    page.click('a[href="/soins/reintegration/export.hl7"]')]);
  const messages = readFileSync(await hl7.path(), 'utf8');
  assert.match(messages, /^MSH\|/);
  assert.match(messages, new RegExp(s.provisionalIpp));

  // The provisional identity is matched to a real patient.
  const waiting = () => page.locator('h2:has-text("Identités provisoires à rapprocher") + table.flow-list tbody tr');
  const unmatched = waiting().filter({ hasText: s.provisionalIpp });
  assert.equal(await unmatched.count(), 1, 'the admitted patient waits for its real identity');
  await follow(page, unmatched.getByRole('link', { name: 'Rapprocher' }));
  assert.match(await page.locator('h1').innerText(), /Rapprocher une identité provisoire/);
  const family = s.rxPatient.split(' ')[0];
  await page.fill('#nom', family);
  await follow(page, page.locator('form.flow-inline button[type=submit]', { hasText: 'Rechercher' }));
  const candidates = page.locator('main table.flow-list tbody tr', { hasText: family });
  assert.ok(await candidates.count() > 0, `the search for ${family} finds real patients`);
  const male = candidates.filter({ has: page.locator('td', { hasText: /^(M|Homme)$/ }) });
  const candidate = await male.count() > 0 ? male.first() : candidates.first();
  const realName = (await candidate.locator('th').innerText()).trim();
  await candidate.getByLabel('Je confirme qu\'il s\'agit de la même personne').check();
  // An estimated age rarely gives the real birth year: the difference is
  // acknowledged when the page points it out.
  const despite = candidate.getByLabel('Malgré l\'écart (identité vérifiée)');
  if (await despite.count() > 0) await despite.check();
  await follow(page, candidate.locator('button[type=submit]', { hasText: 'Rapprocher' }));
  assert.match(await mainText(page), /Identité rapprochée/);
  assert.equal(await waiting().filter({ hasText: s.provisionalIpp }).count(), 0,
    'the provisional identity left the list');
  assert.equal(await waiting().filter({ hasText: 'PREMIERPOSTE' }).count(), 1, 'the other provisional identity still waits');
  // The admission and the transfer now follow the real record.
  for (const kind of ['admission', 'mutation']) {
    const names = await page.locator('table.reint-items tbody tr', { has: page.locator('th', { hasText: new RegExp(`^${kind}$`) }) })
      .locator('td:nth-child(2)').allInnerTexts();
    assert.ok(names.includes(realName), `the ${kind} of the provisional identity is filed under ${realName}: ${names}`);
  }
});

step('no CSP violation and no server error on any page', async () => {
  assert.ok(sessions.length >= 6, 'every role took part');
  for (const who of sessions) {
    assert.deepEqual(who.violations, [], `no CSP violation for ${who.login}`);
    assert.deepEqual(who.failures, [], `no server error for ${who.login}`);
  }
});
