import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCapabilities, fullCapabilityMask, hasCapability, parseCapabilityMask, formatMask, normaliseCapabilityName } from '../../judges/capabilities.js';

test('Docker\'s default CapEff decodes to its 14 default capabilities', () => {
  const names = decodeCapabilities(parseCapabilityMask('00000000a80425fb'));
  assert.deepEqual(names.sort(), ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'NET_RAW', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
});

test('--cap-add SYS_ADMIN sets bit 21 (observed 0xa82425fb)', () => {
  const mask = parseCapabilityMask('00000000a82425fb');
  assert.equal(hasCapability(mask, 'SYS_ADMIN'), true);
  assert.equal(hasCapability(mask, 'cap_sys_admin'), true);
  assert.equal(hasCapability(parseCapabilityMask('00000000a80425fb'), 'SYS_ADMIN'), false);
});

test('the full mask follows cap_last_cap, not a fixed 3fffffffff string', () => {
  assert.equal(formatMask(fullCapabilityMask(37)), '0x0000003fffffffff');
  assert.equal(formatMask(fullCapabilityMask(40)), '0x000001ffffffffff');
  assert.throws(() => fullCapabilityMask(-1));
});

test('unknown capability names and malformed masks are refused', () => {
  assert.throws(() => normaliseCapabilityName('SYS_WIZARD'), /unknown capability/);
  assert.throws(() => parseCapabilityMask('xyz'), /not a capability mask/);
});
