// HL7 v2 parse + read throughput of Node peers, on the same fixtures and the
// same field reads as ../src/bin/hl7_parse.rs. Prints RESULT lines for
// ../run.sh. Install first: `npm install --no-save` in this folder.
//
// Usage: node hl7_parse.js [--secs 0.5]
// Peers: hl7v2@1.8.0 (`HL7Message.parse(text)` then `segment.field(n).getValue(c)`),
// @redoxengine/redox-hl7-v2@1.0.1 (`new Parser().parse(text)` gives a JSON
// tree; fields are read from it).
'use strict';
const fs = require('fs');
const path = require('path');
const { HL7Message } = require('hl7v2');
const { Parser } = require('@redoxengine/redox-hl7-v2');

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const ADT_FIELDS = [
  ['MSH', 9, 2], ['MSH', 10, 1], ['PID', 3, 1], ['PID', 3, 5], ['PID', 5, 1],
  ['PID', 5, 2], ['PID', 7, 1], ['PID', 8, 1], ['PV1', 2, 1], ['PV1', 3, 1], ['PV1', 3, 2],
];
const OBX_FIELDS = [[3, 1], [5, 1], [6, 1], [11, 1]];

const len = (v) => (v === undefined || v === null ? 0 : String(v).length);

function hl7v2Adt(text) {
  const msg = HL7Message.parse(text);
  let total = 0;
  for (const [seg, f, c] of ADT_FIELDS) total += len(msg.getSegment(seg).field(f).getValue(c));
  return total;
}

function hl7v2Oru(text) {
  const msg = HL7Message.parse(text);
  let total = len(msg.controlId);
  for (const seg of msg.segments) {
    if (seg.segmentType !== 'OBX') continue;
    for (const [f, c] of OBX_FIELDS) total += len(seg.field(f).getValue(c));
  }
  return total;
}

const redox = new Parser();
// Redox returns a tree keyed by field number; a component is `[n]` when the
// field has components, else the field itself is the value.
function leaf(value, component) {
  if (Array.isArray(value)) value = value[0];
  if (value !== null && typeof value === 'object') {
    value = value[String(component)];
    if (value !== null && typeof value === 'object') value = value['1'];
  }
  return value;
}

function redoxAdt(text) {
  const msg = redox.parse(text);
  let total = 0;
  for (const [seg, f, c] of ADT_FIELDS) total += len(leaf(msg[seg][String(f)], c));
  return total;
}

function redoxOru(text) {
  const msg = redox.parse(text);
  let total = len(msg.MSH['10']);
  for (const result of msg.PATIENT_RESULT) {
    for (const order of result.ORDER_OBSERVATION) {
      for (const obs of order.OBSERVATION) {
        for (const [f, c] of OBX_FIELDS) total += len(leaf(obs.OBX[String(f)], c));
      }
    }
  }
  return total;
}

function medianNs(work, text, rounds, roundSecs) {
  let sink = work(text);
  let batch = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) sink += work(text);
    if (Number(process.hrtime.bigint() - start) >= (roundSecs * 1e9) / 10 || batch > 1 << 20) break;
    batch *= 2;
  }
  const perCall = [];
  for (let r = 0; r <= rounds; r++) {
    const start = process.hrtime.bigint();
    let calls = 0;
    while (Number(process.hrtime.bigint() - start) < roundSecs * 1e9) {
      for (let i = 0; i < batch; i++) sink += work(text);
      calls += batch;
    }
    if (r > 0) perCall.push(Number(process.hrtime.bigint() - start) / calls);
  }
  if (sink === -1) console.log(sink);
  perCall.sort((a, b) => a - b);
  return perCall[Math.floor(perCall.length / 2)];
}

function main() {
  const args = process.argv.slice(2);
  const at = args.indexOf('--secs');
  const secs = at >= 0 ? Number(args[at + 1]) : 0.5;
  const peers = [
    ['node_hl7v2', hl7v2Adt, hl7v2Oru],
    ['node_redox', redoxAdt, redoxOru],
  ];
  for (const [kase, file] of [['adt', 'adt_a01.hl7'], ['oru', 'oru_r01.hl7']]) {
    const raw = fs.readFileSync(path.join(FIXTURES, file));
    const text = raw.toString('utf8');
    for (const [peer, adt, oru] of peers) {
      const work = kase === 'adt' ? adt : oru;
      if (!(work(text) > 0)) throw new Error(`${peer} read nothing from ${kase}`);
      const ns = medianNs(work, text, 5, secs);
      const mbS = (raw.length / ns) * 1000;
      console.log(`  ${kase} ${peer.padEnd(16)} ${ns.toFixed(0).padStart(12)} ns/msg ${mbS.toFixed(3).padStart(9)} MB/s ${(1e9 / ns).toFixed(0).padStart(10)} msg/s`);
      console.log(`RESULT\thl7.${kase}.${peer}.mb_s\t${mbS.toFixed(4)}\tMB/s`);
      console.log(`RESULT\thl7.${kase}.${peer}.msg_s\t${(1e9 / ns).toFixed(3)}\tmsg/s`);
    }
  }
}

main();
