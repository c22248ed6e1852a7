import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { builtinSignatures } from '../../../src/doctor/signatures.js';
import { EVIDENCE_LINES, linesOf, scanLog } from '../../../src/doctor/log-scan.js';
import { parseDuration } from '../../../src/model/duration.js';

const sigs = builtinSignatures();

/** A real GC before reading the heap (heapUsed without one counts garbage). */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heapMiB(): number {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}
const NOISE = [
  'e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx',
  'vmbr0: port 2(tap100i0) entered forwarding state',
  'audit: type=1400 audit(1390227884.983:30): apparmor="DENIED" operation="capable"',
  'EXT4-fs (sda1): mounted filesystem with ordered data mode',
];

function line(i: number): string {
  const ts = `[${(i / 100).toFixed(6).padStart(12)}] `;
  if (i % 1000 === 0) return `${ts}e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:`;
  if (i % 1000 === 500) return `${ts}tap${i % 3}: unexpected GSO type: 0x1, gso_size 1448, hdr_len 66`;
  return ts + NOISE[i % NOISE.length];
}

test('a generated log of 200,000 lines is streamed: lines are consumed while it is still being produced', async () => {
  const TOTAL = 200_000;
  const PER_CHUNK = 500;
  let produced = 0;
  let maxLead = 0;
  let consumed = 0;
  async function* producer() {
    for (let i = 0; i < TOTAL; i += PER_CHUNK) {
      // How far ahead of the consumer the producer is when asked for the next chunk.
      maxLead = Math.max(maxLead, produced - consumed);
      let chunk = '';
      for (let j = i; j < i + PER_CHUNK; j++) chunk += line(j) + '\n';
      produced += PER_CHUNK;
      yield Buffer.from(chunk);
    }
  }
  async function* counting(src: AsyncIterable<string>) {
    for await (const l of src) {
      consumed++;
      yield l;
    }
  }
  const heapBefore = heapMiB();
  const r = await scanLog(counting(linesOf(Readable.from(producer()))), { signatures: sigs, source: 'generated' });
  const heapGrowthMiB = heapMiB() - heapBefore;
  console.log(
    `streamed ${TOTAL} lines (~${((TOTAL * 75) / 1e6).toFixed(0)} MB): heap after GC +${heapGrowthMiB.toFixed(2)} MiB, producer at most ${maxLead} lines ahead`,
  );
  assert.equal(r.linesRead, TOTAL);
  assert.equal(r.linesMatched, TOTAL / 500);
  const hang = r.hits.find((h) => h.signature === 'e1000e-hardware-unit-hang')!;
  assert.equal(hang.count, TOTAL / 1000);
  assert.equal(hang.evidence.length, EVIDENCE_LINES, 'evidence is bounded');
  assert.equal(r.hits.filter((h) => h.signature === 'tun-unexpected-gso').length, 3, 'one hit per tap');
  // Readable.from buffers at most its highWaterMark (16 chunks) ahead of the consumer.
  assert.ok(maxLead <= 20 * PER_CHUNK, `producer ran ${maxLead} lines ahead: the log was not streamed`);
  // ~15 MB of log text went through; the heap must not have grown by anything like that.
  assert.ok(heapGrowthMiB < 4, `heap grew ${heapGrowthMiB.toFixed(1)} MiB`);
});

test('linesOf: split across chunk borders, multi-byte characters, CRLF, last line without newline, over-long line cut', async () => {
  const chunks = [
    Buffer.from('a\nb'),
    Buffer.from('c\r\nd'),
    Buffer.from([0xc3]),
    Buffer.from([0xa9, 0x0a]),
    Buffer.from('tail'),
  ];
  const out: string[] = [];
  for await (const l of linesOf(Readable.from(chunks))) out.push(l);
  assert.deepEqual(out, ['a', 'bc\r', 'dé', 'tail']);
  const long: string[] = [];
  for await (const l of linesOf(Readable.from(['x'.repeat(40_000), 'y'.repeat(10) + '\nnext\n']))) long.push(l);
  assert.equal(long.length, 2);
  assert.equal(long[0]!.length, 16 * 1024);
  assert.equal(long[1], 'next');
});

test('--since: wall-clock lines filtered; monotonic lines placed with the boot time; untimed lines noted', async () => {
  const now = Date.UTC(2026, 10, 25, 12, 0, 0);
  const boot = now - 3600_000; // booted an hour ago
  const lines = [
    '2026-11-25T10:00:00+0000 h kernel: eth0: hw csum failure', // 2 h ago: too old
    '2026-11-25T11:50:00+0000 h kernel: eth1: hw csum failure', // 10 min ago
    '[  600.000000] eth2: hw csum failure', // boot + 10 min = 50 min ago: too old
    '[ 3300.000000] eth3: hw csum failure', // boot + 55 min = 5 min ago
  ];
  async function* src() {
    yield* lines;
  }
  const r = await scanLog(src(), {
    signatures: sigs,
    source: 't',
    sinceMs: now - 30 * 60_000,
    bootMs: boot,
    nowMs: now,
  });
  assert.deepEqual(r.hits.map((h) => h.ifname).sort(), ['eth1', 'eth3']);
  assert.equal(r.linesTooOld, 2);
  const r2 = await scanLog(src(), {
    signatures: sigs,
    source: 't',
    sinceMs: now - 30 * 60_000,
    bootMs: null,
    nowMs: now,
  });
  assert.deepEqual(r2.hits.map((h) => h.ifname).sort(), ['eth1', 'eth2', 'eth3']);
  assert.match(r2.notes.join(), /2 line\(s\) had no usable time/);
});

test('parseDuration', () => {
  assert.equal(parseDuration('90s'), 90);
  assert.equal(parseDuration('30m'), 1800);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('2d'), 172800);
  assert.equal(parseDuration('45'), 45);
  assert.throws(() => parseDuration('1 hour'), /bad duration/);
  assert.throws(() => parseDuration(''), /bad duration/);
});

test('evidence lines are made printable (no terminal escapes from a hostile file)', async () => {
  async function* src() {
    yield '[ 1.0] eth0: hw csum failure \x1b[2J\x07';
  }
  const r = await scanLog(src(), { signatures: sigs, source: 't' });
  assert.equal(r.hits[0]!.evidence[0], '[ 1.0] eth0: hw csum failure \\x1b[2J\\x07');
});
