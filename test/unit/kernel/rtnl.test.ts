import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeLink,
  encodeGetLinkDump,
  IFLA_EVENT,
  IFLA_EVENT_FEATURES,
  linkEvent,
  RTM_NEWLINK,
} from '../../../src/kernel/netlink/rtnl.js';
import { u32Attr } from '../../../src/kernel/netlink/attrs.js';
import { IFF_NOT_SHOWN_BY_IP, parseIpLinks } from '../../../src/kernel/ethtool-cli/parse-links.js';
import { loadFixture, received, sent } from './fixtures.js';

test('RTM_GETLINK dump decodes to what ip -json -d link showed (recorded)', () => {
  const f = loadFixture('rtnl-getlink-dump');
  const links = received(f)
    .filter((m) => m.type === RTM_NEWLINK)
    .map((m) => decodeLink(m.payload));
  const oracle = parseIpLinks(JSON.stringify(f.oracle));
  assert.equal(links.length, oracle.length);
  for (const [i, l] of links.entries()) {
    // ip never prints IFF_RUNNING
    assert.deepEqual({ ...l, flags: l.flags & ~IFF_NOT_SHOWN_BY_IP }, oracle[i], l.name);
  }
  const by = new Map(links.map((l) => [l.name, l]));
  assert.equal(by.get('lo')!.kind, null);
  assert.equal(by.get('br0')!.kind, 'bridge');
  assert.equal(by.get('vif3.0')!.slaveKind, 'bridge');
  assert.equal(by.get('vif3.0')!.masterIndex, by.get('br0')!.ifindex);
  assert.equal(by.get('vif3.0')!.parentIndex, by.get('vif3.0-emu')!.ifindex);
  assert.deepEqual(by.get('tap100i0')!.tun, {
    type: 'tap',
    vnetHdr: true,
    multiQueue: false,
    persist: true,
    owner: null,
    group: null,
  });
  assert.equal(by.get('tap101i0')!.tun!.vnetHdr, false);
  assert.deepEqual(by.get('vnet7')!.tun, {
    type: 'tap',
    vnetHdr: true,
    multiQueue: true,
    persist: true,
    owner: 0,
    group: 0,
  });
  assert.equal(by.get('macvtap0')!.kind, 'macvtap');
  assert.equal(by.get('macvtap0')!.parentIndex, by.get('abcdefghijklmno')!.ifindex);
  assert.equal(by.get('vx0')!.kind, 'vxlan');
  assert.equal(
    by.get('br0')!.operstate,
    ['UP', 'UNKNOWN', 'DOWN'].includes(by.get('br0')!.operstate) ? by.get('br0')!.operstate : 'x',
  );
  assert.ok(links.every((l) => !l.physical));
  assert.deepEqual(sent(f)[0]!.payload, Buffer.concat(encodeGetLinkDump()));
});

test('decodeLink: a VLAN (IFLA_INFO_DATA/IFLA_VLAN_ID) and a bond port, built with our encoders', async () => {
  const { nest, strAttr, u32Attr, u16Attr, u8Attr, attr } = await import('../../../src/kernel/netlink/attrs.js');
  const R = await import('../../../src/kernel/netlink/rtnl.js');
  const ifi = (index: number, flags: number) => {
    const b = Buffer.alloc(16);
    b.writeInt32LE(index, 4);
    b.writeUInt32LE(flags, 8);
    return b;
  };
  const vlan = Buffer.concat([
    ifi(12, 0x1003),
    strAttr(R.IFLA_IFNAME, 'bond0.100'),
    u32Attr(R.IFLA_MTU, 9000),
    u8Attr(R.IFLA_OPERSTATE, 5),
    u32Attr(R.IFLA_LINK, 11),
    attr(R.IFLA_ADDRESS, Buffer.from([0x52, 0x54, 0, 0xab, 0xcd, 0xef])),
    nest(R.IFLA_LINKINFO, [strAttr(R.IFLA_INFO_KIND, 'vlan'), nest(R.IFLA_INFO_DATA, [u16Attr(R.IFLA_VLAN_ID, 100)])]),
  ]);
  const l = R.decodeLink(vlan);
  assert.deepEqual(l, {
    ifindex: 12,
    name: 'bond0.100',
    kind: 'vlan',
    slaveKind: null,
    masterIndex: null,
    parentIndex: 11,
    mtu: 9000,
    operstate: 'DORMANT',
    mac: '52:54:00:ab:cd:ef',
    flags: 0x1003,
    tun: null,
    vlanId: 100,
    physical: false,
  });
  const port = Buffer.concat([
    ifi(3, 0x1843),
    strAttr(R.IFLA_IFNAME, 'eno1'),
    u32Attr(R.IFLA_MASTER, 10),
    strAttr(R.IFLA_PARENT_DEV_NAME, '0000:01:00.0'),
    strAttr(R.IFLA_PARENT_DEV_BUS_NAME, 'pci'),
    nest(R.IFLA_LINKINFO, [strAttr(R.IFLA_INFO_SLAVE_KIND, 'bond')]),
  ]);
  const p = R.decodeLink(port);
  assert.equal(p.kind, null);
  assert.equal(p.slaveKind, 'bond');
  assert.equal(p.masterIndex, 10);
  assert.equal(p.physical, true);
  assert.equal(p.operstate, 'UNKNOWN'); // no IFLA_OPERSTATE
  assert.equal(p.mac, null);
  // a veth whose peer lives in another namespace: IFLA_LINK + IFLA_LINK_NETNSID → no parent here
  const veth = Buffer.concat([
    ifi(5, 0),
    strAttr(R.IFLA_IFNAME, 'vnet0'),
    u32Attr(R.IFLA_LINK, 2),
    u32Attr(R.IFLA_LINK_NETNSID, 0),
  ]);
  assert.equal(R.decodeLink(veth).parentIndex, null);
});

test('linkEvent: IFLA_EVENT of an RTM_NEWLINK (IFLA_EVENT_FEATURES after a feature change), null without', () => {
  const f = loadFixture('rtnl-getlink-dump');
  const dumped = received(f).find((m) => m.type === RTM_NEWLINK)!.payload;
  assert.equal(linkEvent(dumped), null); // dumps carry no event
  const withEvent = Buffer.concat([dumped, u32Attr(IFLA_EVENT, IFLA_EVENT_FEATURES)]);
  assert.equal(linkEvent(withEvent), IFLA_EVENT_FEATURES);
  assert.deepEqual(decodeLink(withEvent), decodeLink(dumped));
});
