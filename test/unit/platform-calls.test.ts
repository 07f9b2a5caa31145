// The platform client's call wrapper and error taxonomy (adapters/platform/calls.ts, errors.ts),
// without an engine: how refusals, connection failures and timeouts are told apart and named, what
// a call's answers that mean "done" resolve to, and the creation gate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlatformRefusal, isRefusal } from '../../adapters/platform/docker-client.js';
import { platformCall, bounded, settleCreations, closeCreationGate, gatedCreation } from '../../adapters/platform/calls.js';
import { isInterfaceListRace, refusalFrom } from '../../adapters/platform/errors.js';
import { createNetwork } from '../../adapters/platform/networks-volumes.js';
import type { EngineContext } from '../../adapters/platform/engine-api.js';

const URL = 'unix:///x.sock';
/** An error as docker-modem makes it for an HTTP error answer. */
const modemError = (statusCode: number, message: string, json?: unknown) => Object.assign(new Error(message), { statusCode, json });

test('an HTTP error answer becomes a PlatformRefusal naming the operation, the status and the platform\'s own words', async () => {
  const json = modemError(409, '(HTTP code 409) unexpected - Conflict. The name is in use', { message: 'Conflict. The name is in use' });
  await assert.rejects(platformCall({ what: 'create container', url: URL }, async () => { throw json; }), (e: unknown) => {
    assert.ok(e instanceof PlatformRefusal);
    assert.equal(e.operation, 'create container');
    assert.equal(e.statusCode, 409);
    assert.equal(e.rawMessage, 'Conflict. The name is in use');
    assert.equal(e.message, 'create container: the platform answered 409: Conflict. The name is in use');
    return true;
  });
  // A plain-text body (sdc-docker): the words after " - " in docker-modem's message.
  const text = refusalFrom(modemError(500, '(HTTP code 500) server error - problem starting container'), 'start container');
  assert.ok(isRefusal(text, /problem starting/));
  assert.equal(isRefusal(text, /no such/), false);
  assert.equal(isRefusal(new Error('problem starting'), /problem starting/), false);
});

test('a connection failure is a PlatformError naming the call and the platform, never a refusal', async () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED /x.sock'), { code: 'ECONNREFUSED' });
  await assert.rejects(platformCall({ what: 'inspect container', url: URL }, async () => { throw refused; }),
    (e: Error) => e.name === 'PlatformError' && e.message === `inspect container: cannot reach ${URL}: connect ECONNREFUSED /x.sock` && !isRefusal(e));
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  await assert.rejects(platformCall({ what: 'read logs', url: URL }, async () => { throw reset; }),
    (e: Error) => e.name === 'PlatformError' && /^read logs: connection to .* lost mid-call: socket hang up$/.test(e.message));
});

test('a call that never answers ends in a PlatformTimeout at its bound, even when the call itself never settles', async () => {
  const started = Date.now();
  await assert.rejects(platformCall({ what: 'wait for container', url: URL, timeoutMs: 100 }, () => new Promise(() => undefined)),
    (e: Error) => e.name === 'PlatformTimeout' && e.message === `wait for container: no answer from ${URL} in time`);
  assert.ok(Date.now() - started < 2_000);
  // The scenario's signal ends it too.
  const scenario = new AbortController();
  setTimeout(() => scenario.abort(), 50);
  await assert.rejects(platformCall({ what: 'start container', url: URL, timeoutMs: 60_000, signal: scenario.signal }, () => new Promise(() => undefined)),
    (e: Error) => e.name === 'PlatformTimeout');
  await assert.rejects(bounded(AbortSignal.abort(), async () => 'never called'), (e: Error) => e.name === 'AbortError');
});

test('answers that mean the work is done resolve; refusals: false leaves an error answer untranslated', async () => {
  const gone = modemError(404, '(HTTP code 404) no such container - No such container: abc');
  assert.equal(await platformCall({ what: 'remove network', url: URL, doneDespite: (e) => (e as { statusCode?: number }).statusCode === 404 }, async () => { throw gone; }), undefined);
  const busy = modemError(500, '(HTTP code 500) server error - busy');
  await assert.rejects(platformCall({ what: 'kill container', url: URL, refusals: false }, async () => { throw busy; }), (e: unknown) => e === busy);
  assert.equal(await platformCall({ what: 'inspect container', url: URL }, async () => 'answer'), 'answer');
});

test('a known transient answer is asked again, bounded in attempts; any other answer fails at once', async () => {
  // As docker-modem makes Podman 4.3's answer to a network create that raced the host's interfaces.
  const race = () => modemError(500, '(HTTP code 500) server error - route ip+net: no such network interface', { cause: 'no such network interface', message: 'route ip+net: no such network interface', response: 500 });
  assert.equal(isInterfaceListRace(race()), true);
  assert.equal(isInterfaceListRace(modemError(500, '(HTTP code 500) server error - subnet 10.89.0.0/24 is already used')), false);
  assert.equal(isInterfaceListRace(modemError(409, '(HTTP code 409) conflict - route ip+net: no such network interface')), false);
  const again = { when: isInterfaceListRace, attempts: 4, pauseMs: 10 };

  let calls = 0;
  const id = await platformCall({ what: 'create network', url: URL, creates: 'networks', again }, async () => {
    calls += 1;
    if (calls < 3) throw race();
    return { id: 'n1' };
  });
  assert.deepEqual([id, calls], [{ id: 'n1' }, 3]);

  calls = 0;
  await assert.rejects(platformCall({ what: 'create network', url: URL, creates: 'networks', again }, async () => { calls += 1; throw race(); }),
    (e: unknown) => isRefusal(e, /no such network interface/) && e.message === 'create network: the platform answered 500: route ip+net: no such network interface');
  assert.equal(calls, 4, 'four attempts, then the platform\'s answer');

  calls = 0;
  await assert.rejects(platformCall({ what: 'create network', url: URL, creates: 'networks', again }, async () => { calls += 1; throw modemError(500, '(HTTP code 500) server error - subnet in use'); }),
    (e: unknown) => isRefusal(e, /subnet in use/));
  assert.equal(calls, 1);

  // createNetwork asks so (Podman 4.3 answered it 2 times in 500 creates while containers came and went on Docker).
  calls = 0;
  const engine = { createNetwork: async () => { calls += 1; if (calls === 1) throw race(); return { id: 'n2' }; } };
  const ctx = { endpoint: { url: URL }, engine: () => engine } as unknown as EngineContext;
  assert.equal(await createNetwork(ctx, 'kh-net', {}), 'n2');
  assert.equal(calls, 2);

  // The call's one bound covers the retries: a platform that keeps racing does not stretch it.
  calls = 0;
  const started = Date.now();
  await assert.rejects(platformCall({ what: 'create network', url: URL, timeoutMs: 150, creates: 'networks', again: { ...again, attempts: 1_000, pauseMs: 100 } }, async () => { calls += 1; throw race(); }),
    (e: Error) => e.name === 'PlatformTimeout');
  assert.ok(Date.now() - started < 1_000 && calls < 5, `${calls} calls in ${Date.now() - started} ms`);
});

// Last: the gate is process-wide and stays closed.
test('creates in flight are waited for; once the gate is closed no create starts', async () => {
  let answer!: () => void;
  let finished = false;
  const creation = gatedCreation('no new containers', () => new Promise<void>((resolve) => { answer = resolve; })).then(() => { finished = true; });
  setTimeout(() => answer(), 100);
  await settleCreations(5_000);
  await creation;
  assert.equal(finished, true);
  closeCreationGate();
  let started = false;
  await assert.rejects(platformCall({ what: 'create network', url: URL, creates: 'networks' }, async () => { started = true; return { id: 'n' }; }),
    (e: Error) => e.message === 'keelhaul is shutting down: no new networks');
  assert.equal(started, false);
});
