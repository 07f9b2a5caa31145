// Tenant to tenant (ISO-25): on a multi-tenant platform one account must not see or touch another's
// containers. It needs a second account (--peer-target, --peer-cert-path); without one the
// scenario is not-applicable with that reason. Every request to the other tenant's container is
// harmless when refused and is the finding when it is not.
import { Given, Then } from '@cucumber/cucumber';
import { Finding } from '../judges/errors.js';
import { doc } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

Given('another tenant runs a container', doc(
  'Starts a long-running (120 s) probe container as the second tenant (--peer-target), tracked and removed with that tenant\'s own client. Without --peer-target the scenario is not-applicable: one account cannot judge isolation from another.',
  'Given another tenant runs a container',
), async function (this: KeelhaulWorld) {
  const peer = this.peer;
  if (!peer) this.notApplicable('no second tenant: give --peer-target (and --peer-cert-path for its certificates) to judge one account against another');
  const id = await peer.createContainer({ image: this.image, cmd: ['sleep', '120'], hostConfig: this.probeNetworkMode === 'none' ? { NetworkMode: 'none' } : {} }, this.scenarioId, this.signal);
  this.peerResources.track('container', id);
  await peer.startContainer(id, this.signal);
  this.state.peerContainer = id;
});

Then('this tenant can neither see nor touch it', doc(
  'As the first tenant: the other tenant\'s container must be missing from the container list (all=1), and inspect, top, logs, exec create and a kill with SIGCONT (which changes nothing) on it must each be refused with 404. Anything else is a finding naming the request and its answer.',
  'Then this tenant can neither see nor touch it',
), async function (this: KeelhaulWorld) {
  const id: string = this.state.peerContainer;
  const leaks: string[] = [];
  const answers: Record<string, number> = {};
  const list = await this.platform.raw({ method: 'GET', path: '/containers/json?all=1', signal: this.signal });
  const listed = list.status === 200 && (list.json() as Array<{ Id: string }>).some((c) => c.Id === id);
  answers['GET /containers/json?all=1'] = list.status;
  if (listed) leaks.push('it is in this tenant\'s container list');
  // Read-only or harmless requests only: SIGCONT to a running process changes nothing.
  for (const [method, path, body] of [
    ['GET', `/containers/${id}/json`], ['GET', `/containers/${id}/top`], ['GET', `/containers/${id}/logs?stdout=1`],
    ['POST', `/containers/${id}/exec`, { Cmd: ['true'] }], ['POST', `/containers/${id}/kill?signal=SIGCONT`],
  ] as Array<[string, string, unknown?]>) {
    const r = await this.platform.raw({ method, path, body, signal: this.signal });
    answers[`${method} ${path.replace(id, '{peer}')}`] = r.status;
    if (r.status !== 404) leaks.push(`${method} ${path.replace(id, '<its id>')} answered ${r.status}`);
  }
  this.observe('tenantRequests', answers);
  if (leaks.length > 0) throw new Finding(`another tenant's container is reachable from this account: ${leaks.join('; ')}`);
});
