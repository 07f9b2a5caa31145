// A container's own privileges and namespaces (ISO-01, ISO-02), read from /proc inside the default
// probe's container (its Given and the seccomp step are in isolation.steps.ts), never from what
// `inspect` claims. Rules: judges/isolation-verdicts.ts.
import { Then } from '@cucumber/cucumber';
import { CAPABILITY_NAMES } from '../judges/capabilities.js';
import * as judge from '../judges/isolation-verdicts.js';
import { NAMESPACE_KINDS } from '../judges/namespaces.js';
import { probedOf } from '../support/isolation-probes.js';
import { doc, itemsFrom, listArgument as list } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

const values = (world: KeelhaulWorld) => probedOf(world).report.values;

Then('its effective capabilities include none of {string}', doc(
  'Fails if any named capability bit is set in CapEff. Names are case-insensitive, with or without CAP_.',
  'Then its effective capabilities include none of "SYS_ADMIN, SYS_MODULE, SYS_PTRACE"',
  undefined, itemsFrom('capabilities (case-insensitive, CAP_ optional)', CAPABILITY_NAMES, 0, (s) => s.trim().toUpperCase().replace(/^CAP_/, '')),
), function (this: KeelhaulWorld, names: string) {
  this.settle(judge.judgeForbiddenCapabilities(values(this), list(names)));
});

Then('its capability bounding set is not the kernel\'s full set', doc(
  'Fails if CapBnd holds every capability the running kernel knows (from /proc/sys/kernel/cap_last_cap): the mark of a privileged container on any kernel version.',
  'Then its capability bounding set is not the kernel\'s full set',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeBoundingSet(values(this)));
});

Then('its effective capabilities are within the profile\'s default set', doc(
  'Fails if CapEff holds a capability the platform profile does not list as a default (docker: moby\'s 14 defaults, 0xa80425fb). Not applicable when the profile declares no default set.',
  'Then its effective capabilities are within the profile\'s default set',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeWithinDefaults(values(this), this.profile.promises?.defaultCapabilities, this.profile.name));
});

Then('it holds no inheritable or ambient capabilities', doc(
  'Fails if CapInh or CapAmb in /proc/self/status is non-empty. Engines before the fixes for CVE-2022-24769 (Docker < 20.10.14, containerd < 1.5.11 / 1.6.2) and runc before CVE-2022-29162 (< 1.1.2) started processes with inheritable capabilities, so a file with inheritable file capabilities gains them on execve: the in-container sign of those CVEs, whatever the versions say.',
  'Then it holds no inheritable or ambient capabilities',
), function (this: KeelhaulWorld) {
  this.settle(judge.judgeNoInheritable(values(this)));
});

Then('its {string} namespaces are not the host\'s initial ones', doc(
  'Compares /proc/self/ns/<kind> inodes with the fixed inode numbers of the kernel\'s initial namespaces: equal means shared with the host. On kernels that allocate the initial mnt/net inodes dynamically those two are recorded as unknown, not passed.',
  'Then its "pid, net, ipc, uts, mnt" namespaces are not the host\'s initial ones',
  undefined, itemsFrom('namespace kinds', NAMESPACE_KINDS),
), function (this: KeelhaulWorld, kinds: string) {
  this.settle(judge.judgeHostNamespaces(values(this), list(kinds)));
});

Then('its {string} namespaces are reported', doc(
  'Records whether these namespaces are the host\'s (without user-namespace remapping the user namespace is the host\'s by design; on cgroup v1 so is the cgroup namespace). Never fails unless the profile promises user namespaces and the user namespace is the host\'s.',
  'Then its "user, cgroup" namespaces are reported',
  undefined, itemsFrom('namespace kinds', NAMESPACE_KINDS),
), function (this: KeelhaulWorld, kinds: string) {
  this.settle(judge.reportHostNamespaces(values(this), list(kinds), this.profile.promises?.userNamespaces, this.profile.name));
});
