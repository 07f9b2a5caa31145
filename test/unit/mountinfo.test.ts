import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  engineSocketMounts, hostMounts, isMasked, isReadOnly, mountFor, overlayUpperdir, parseMountinfo, pathReadOnly, sharedPropagation, unescapeMountPath,
} from '../../judges/mountinfo.js';

// Observed in a default Docker 20.10 container (cgroup v1), trimmed.
const DOCKER = `137 107 0:48 / / rw,relatime master:6 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X:/var/lib/docker/overlay2/l/Y,upperdir=/var/lib/docker/overlay2/a41/diff,workdir=/var/lib/docker/overlay2/a41/work
138 137 0:51 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
139 137 0:52 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
141 137 0:54 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
142 141 0:55 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755
146 142 0:32 /docker/099c /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory
155 137 254:0 /var/lib/docker/containers/099c/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw,discard
156 137 254:0 /var/lib/docker/containers/099c/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw,discard
157 137 254:0 /var/lib/docker/containers/099c/hosts /etc/hosts rw,relatime - ext4 /dev/vda rw,discard
54 138 0:51 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw
56 138 0:52 /null /proc/keys rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
58 141 0:43 / /sys/firmware ro,relatime - tmpfs tmpfs ro`;

test('a default Docker container: /proc/sys and /sys read-only, keys masked, no host mounts', () => {
  const mounts = parseMountinfo(DOCKER);
  assert.equal(mounts.length, 12);
  assert.equal(pathReadOnly(mounts, '/proc/sys/kernel/core_pattern'), true);
  assert.equal(pathReadOnly(mounts, '/sys/kernel/uevent_helper'), true);
  assert.equal(pathReadOnly(mounts, '/proc/sysrq-trigger'), false, 'covered by /proc (rw): judged only where it exists');
  assert.equal(isMasked(mounts, '/proc/keys'), true);
  assert.equal(isMasked(mounts, '/proc/timer_list'), false);
  assert.equal(isMasked(mounts, '/sys/firmware'), true, 'a read-only tmpfs over a folder');
  // A mount exactly on the path that shows real content is not a mask (issue 14: /etc/hostname passed as "masked").
  assert.equal(isMasked(mounts, '/etc/hostname'), false);
  assert.equal(isMasked(mounts, '/sys/fs/cgroup'), false, 'a read-write tmpfs hides nothing');
  assert.deepEqual(hostMounts(mounts), []);
  assert.equal(overlayUpperdir(mounts), '/var/lib/docker/overlay2/a41/diff');
  assert.equal(isReadOnly(mountFor(mounts, '/sys/fs/cgroup/memory/memory.limit_in_bytes')!), true);
  assert.equal(mountFor(mounts, '/sys/fs/cgroup/x')!.fsType, 'tmpfs');
});

test('the host root bound in, a second procfs and an engine socket are found', () => {
  const mounts = parseMountinfo(`${DOCKER}
200 137 254:0 / /host ro,relatime - ext4 /dev/vda rw
201 137 0:21 / /hp ro,nosuid - proc proc rw
202 137 0:25 /keelhaul-fixtures/weak/docker.sock /var/run/docker.sock rw,nosuid shared:5 - tmpfs tmpfs rw`);
  const found = hostMounts(mounts).map((m) => m.mountPoint);
  assert.deepEqual(found, ['/host', '/hp']);
  assert.deepEqual(engineSocketMounts(mounts).map((m) => m.mountPoint), ['/var/run/docker.sock']);
  assert.deepEqual(sharedPropagation(mounts).map((m) => m.mountPoint), ['/var/run/docker.sock']);
});

test('escaped mount paths are decoded', () => {
  assert.equal(unescapeMountPath('/a\\040b'), '/a b');
  const [m] = parseMountinfo('300 137 0:60 / /mnt/with\\040space rw - tmpfs tmpfs rw');
  assert.equal(m!.mountPoint, '/mnt/with space');
});
