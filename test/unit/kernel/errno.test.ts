import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errnoCode, kernelErrorFromErrno } from '../../../src/kernel/netlink/errno.js';
import { KernelError } from '../../../src/kernel/types.js';

test('errno → KernelError code', () => {
  assert.equal(errnoCode(19), 'not-found'); // ENODEV
  assert.equal(errnoCode(2), 'not-found'); // ENOENT
  assert.equal(errnoCode(1), 'permission-denied'); // EPERM
  assert.equal(errnoCode(13), 'permission-denied'); // EACCES
  assert.equal(errnoCode(95), 'not-supported'); // EOPNOTSUPP
  assert.equal(errnoCode(22), 'invalid'); // EINVAL
  assert.equal(errnoCode(16), 'busy'); // EBUSY
  assert.equal(errnoCode(90), 'io'); // EMSGSIZE
});

test('kernelErrorFromErrno keeps errno, extack and ifname and says what failed', () => {
  const e = kernelErrorFromErrno(19, 'FEATURES_GET eth9', { ifname: 'eth9', extack: 'no device matches name' });
  assert.ok(e instanceof KernelError);
  assert.equal(e.code, 'not-found');
  assert.equal(e.errno, 19);
  assert.equal(e.extack, 'no device matches name');
  assert.match(e.message, /no such device: eth9/);
  assert.match(e.message, /no device matches name/);
  const p = kernelErrorFromErrno(1, 'FEATURES_SET eth0');
  assert.match(p.message, /CAP_NET_ADMIN/);
  assert.match(kernelErrorFromErrno(22, 'FEATURES_SET eth0').message, /EINVAL/);
});
