// Tenant to tenant (ISO-25): on a multi-tenant platform one account must not see or touch another's
// containers. It needs a second account (--peer-target, --peer-cert-path); without one the scenario
// is not-applicable with that reason. Every request to the other tenant's container is harmless when
// refused and is the finding when it is not (judges/network-isolation.ts judgeTenantAnswers).
import { Given, Then } from '@cucumber/cucumber';
import { judgeTenantAnswers, tenantRequests } from '../judges/network-isolation.js';
import { startPeerContainer } from '../support/isolation-probes.js';
import { doc } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

Given('another tenant runs a container', doc(
  'Starts a long-running (120 s) probe container as the second tenant (--peer-target), tracked and removed with that tenant\'s own client. Without --peer-target the scenario is not-applicable: one account cannot judge isolation from another.',
  'Given another tenant runs a container',
), async function (this: KeelhaulWorld) {
  await startPeerContainer(this);
});

Then('this tenant can neither see nor touch it', doc(
  'As the first tenant: the other tenant\'s container must be missing from the container list (all=1), and inspect, top, logs, exec create and a kill with SIGCONT (which changes nothing) on it must each be refused with 404. Anything else is a finding naming the request and its answer.',
  'Then this tenant can neither see nor touch it',
), async function (this: KeelhaulWorld) {
  const id = this.ctx.peerContainer ?? '';
  const list = await this.platform.raw({ method: 'GET', path: '/containers/json?all=1', signal: this.signal });
  const answers: Record<string, number> = { 'GET /containers/json?all=1': list.status };
  for (const [method, path, body] of tenantRequests(id)) {
    answers[`${method} ${path.replace(id, '{peer}')}`] = (await this.platform.raw({ method, path, body, signal: this.signal })).status;
  }
  const listed = list.status === 200 && (list.json() as Array<{ Id: string }>).some((c) => c.Id === id);
  this.settle(judgeTenantAnswers(listed, answers));
});
