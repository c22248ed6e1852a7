import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFamily, encodeGetFamily } from '../../../src/kernel/netlink/genl.js';
import {
  decodeFeaturesReply,
  decodeSetReplyNotApplied,
  decodeStrset,
  encodeFeaturesGet,
  encodeFeaturesSet,
  encodeFeaturesSetWanted,
  encodeFeaturesWanted,
  encodeStrsetFeatures,
  featuresToMap,
  decodeFeaturesCompact,
  featureLayout,
  SHARED_STATES,
  featuresSetMessageLength,
  writeFeaturesSetMessage,
} from '../../../src/kernel/netlink/ethtool-msg.js';
import { parseEthtoolFeatures } from '../../../src/kernel/ethtool-cli/parse-features.js';
import { encodeMessage } from '../../../src/kernel/netlink/nlmsg.js';
import type { FeatureMap } from '../../../src/model/types.js';
import { loadFixture, received, sent } from './fixtures.js';

test('CTRL_CMD_GETFAMILY reply: family id and the "monitor" multicast group (recorded)', () => {
  const f = loadFixture('genl-getfamily-ethtool');
  const reply = received(f).find((m) => m.type === 0x10)!;
  const fam = decodeFamily(reply.payload);
  assert.equal(fam.name, 'ethtool');
  assert.ok(fam.id > 0x10);
  assert.ok(fam.groups.has('monitor'));
  // our request encodes to the same bytes the capture sent (after the nlmsghdr)
  assert.deepEqual(sent(f)[0]!.payload, Buffer.concat(encodeGetFamily('ethtool')));
});

test('STRSET ETH_SS_FEATURES: names by index, gaps kept as empty slots (recorded)', () => {
  const f = loadFixture('strset-features');
  const names = decodeStrset(received(f)[0]!.payload)!;
  assert.equal(names.length, 64);
  assert.equal(names[0], 'tx-scatter-gather');
  assert.equal(names[2], ''); // a gap (removed feature bit)
  assert.ok(names.includes('tx-tcp-segmentation'));
  assert.ok(names.indexOf('rx-gro') < 32 && names.indexOf('tx-udp-segmentation') >= 32);
  assert.deepEqual(sent(f)[0]!.payload, Buffer.concat(encodeStrsetFeatures()));
});

function byName(oracle: unknown): Map<string, FeatureMap> {
  return new Map(parseEthtoolFeatures(JSON.stringify(oracle)).map((d) => [d.ifname, d.features]));
}

test('FEATURES_GET compact dump decodes to exactly what ethtool --json -k * showed (recorded)', () => {
  const f = loadFixture('features-dump-compact');
  const oracle = byName(f.oracle);
  const replies = received(f).filter((m) => m.type === f.familyId);
  assert.equal(replies.length, oracle.size);
  const links = new Map<number, string>();
  for (const m of replies) {
    const r = decodeFeaturesReply(m.payload);
    assert.ok(r.header.ifindex && r.header.ifname);
    links.set(r.header.ifindex, r.header.ifname);
    const got = featuresToMap(r, f.names!);
    const want = oracle.get(r.header.ifname)!;
    assert.ok(want, `oracle has ${r.header.ifname}`);
    assert.deepEqual(got, want, r.header.ifname);
  }
  assert.ok([...links.values()].includes('abcdefghijklmno'));
  assert.ok([...links.values()].includes('vif3.0-emu'));
  // the unusual states recorded: sg off → TSO off but still requested on
  const odd = oracle.get('abcdefghijklmno')!;
  assert.deepEqual(odd['tx-tcp-segmentation'], { active: false, requested: true, fixed: false });
  assert.equal(odd['rx-gro-list']!.active, true);
  assert.deepEqual(sent(f)[0]!.payload, Buffer.concat(encodeFeaturesGet({})));
});

test('FEATURES_GET verbose reply (names inside) decodes like the oracle, even without the string set', () => {
  const f = loadFixture('features-get-verbose');
  const reply = received(f).find((m) => m.type === f.familyId)!;
  const r = decodeFeaturesReply(reply.payload);
  assert.ok(r.hw!.names.size > 0);
  const want = byName(f.oracle).get('abcdefghijklmno')!;
  assert.deepEqual(featuresToMap(r, f.names!), want);
  // verbose NOMASK bitsets list only set bits, so names of bits unset everywhere stay unknown:
  // with an empty string set only features named in some bitset can appear, and they must match.
  const partial = featuresToMap(r, []);
  for (const [name, st] of Object.entries(partial)) assert.deepEqual(st, want[name], name);
});

test('FEATURES_SET around a shared WANTED attribute: the same bytes as encoding it per device', () => {
  const changes: [number, boolean][] = [
    [3, false],
    [40, true],
    [7, false],
  ];
  const wanted = encodeFeaturesWanted(66, changes);
  for (const ifname of ['b0', 'vif3.0', 'tap100i0']) {
    for (const omitReply of [false, true]) {
      assert.deepEqual(
        Buffer.concat(encodeFeaturesSetWanted({ ifname }, wanted, { omitReply })),
        Buffer.concat(encodeFeaturesSet({ ifname }, 66, changes, { omitReply })),
      );
    }
  }
});

test('FEATURES_SET request: compact WANTED value+mask, and reply → notApplied (recorded)', () => {
  const f = loadFixture('features-set');
  const names = f.names!;
  const idx = (n: string) => names.indexOf(n);
  const req = encodeFeaturesSet({ ifname: 'vif3.0' }, names.length, [
    [idx('tx-generic-segmentation'), false],
    [idx('tx-checksum-ipv4'), true],
    [idx('rx-gro'), true],
  ]);
  assert.deepEqual(sent(f)[0]!.payload, Buffer.concat(req));
  const reply = received(f).find((m) => m.type === f.familyId)!;
  const { notApplied, changed } = decodeSetReplyNotApplied(reply.payload, names);
  assert.deepEqual(notApplied, ['tx-checksum-ipv4']); // outside hw_features: silently ignored by the kernel
  assert.deepEqual(changed.sort(), ['rx-gro', 'tx-generic-segmentation']);
  const after = byName(f.after).get('vif3.0')!;
  assert.equal(after['tx-generic-segmentation']!.active, false);
  assert.equal(after['rx-gro']!.active, true);
});

test('fast compact decoder gives the same FeatureMap as the generic one; verbose → null (fallback)', () => {
  const f = loadFixture('features-dump-compact');
  const layout = featureLayout(f.names!);
  for (const m of received(f).filter((x) => x.type === f.familyId)) {
    const generic = decodeFeaturesReply(m.payload);
    const fast = decodeFeaturesCompact(m.payload, layout)!;
    assert.equal(fast.ifindex, generic.header.ifindex);
    assert.deepEqual(fast.features, featuresToMap(generic, f.names!));
    assert.deepEqual(Object.keys(fast.features), Object.keys(featuresToMap(generic, f.names!))); // same (bit) order
  }
  const v = loadFixture('features-get-verbose');
  const vm = received(v).find((x) => x.type === v.familyId)!;
  assert.equal(decodeFeaturesCompact(vm.payload, featureLayout(v.names!)), null);
});

test('feature layouts: names are data, never code (quotes, backslashes, __proto__)', () => {
  const names = ['a"b', 'c\\\\d', '', '__proto__', "e'); process.exit(1); ('"];
  const layout = featureLayout(names);
  const codes = Uint8Array.from([7, 0, 4, 2]);
  const fm = layout.build(codes, SHARED_STATES);
  assert.deepEqual(Object.keys(fm), ['a"b', 'c\\\\d', '__proto__', "e'); process.exit(1); ('"]);
  assert.equal(Object.getPrototypeOf(fm), Object.prototype);
  assert.deepEqual(fm['a"b'], { active: true, requested: true, fixed: true });
  assert.deepEqual(fm['__proto__'], { active: true, requested: false, fixed: false });
  const safe = featureLayout(['x"y', 'z']);
  assert.deepEqual(Object.keys(safe.build(Uint8Array.from([1, 2]), SHARED_STATES)), ['x"y', 'z']);
  assert.ok(Object.isFrozen(SHARED_STATES[0]));
});

test('writeFeaturesSetMessage: the bytes of encodeMessage(encodeFeaturesSetWanted) with seq/pid/flags 0', () => {
  const wanted = encodeFeaturesWanted(64, [
    [10, false],
    [16, false],
    [3, true],
  ]);
  for (const ifname of ['v', 'veth0', 'tap1234567890ab', 'b\u00e9b\u00e9']) {
    for (const omitReply of [true, false]) {
      const expected = encodeMessage(0x1d, 0, 0, 0, encodeFeaturesSetWanted({ ifname }, wanted, { omitReply }));
      const nameBytes = Buffer.byteLength(ifname);
      const len = featuresSetMessageLength(nameBytes, wanted);
      assert.equal(len, expected.length, ifname);
      const buf = Buffer.alloc(len + 8, 0xee); // garbage around: the message overwrites only its own bytes
      const end = writeFeaturesSetMessage(buf, 4, 0x1d, ifname, nameBytes, wanted, omitReply);
      assert.equal(end, 4 + len);
      assert.deepEqual(buf.subarray(4, end), expected, ifname);
      assert.equal(buf[3], 0xee);
      assert.equal(buf[end], 0xee);
    }
  }
});
