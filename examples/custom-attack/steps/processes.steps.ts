// A user's own steps, loaded with --require: no fork of keelhaul, no npm install in this folder.
// '@cucumber/cucumber', 'chai' and 'keelhaul' resolve to keelhaul's own copies (support/loader).
import { Given, Then } from '@cucumber/cucumber';
import { expect } from 'chai';
import { doc, Finding, type KeelhaulWorld } from 'keelhaul';

// Judge from inside the container: count what /proc shows it, never trust `inspect`.
const COUNT_PROCESSES = 'ls -d /proc/[0-9]* | wc -l; cat /proc/1/comm';

Given('a container that lists the processes it can see', doc(
  'Starts a busybox container with the platform\'s defaults and counts the processes visible in its /proc.',
  'Given a container that lists the processes it can see',
), async function (this: KeelhaulWorld) {
  const result = await this.probe(COUNT_PROCESSES);
  if (result.timedOut) throw new Error('the probe container did not finish in time');
  const [count, init] = result.stdout.trim().split('\n');
  this.state.processes = { count: Number(count), init: init?.trim() };
  this.observe('visibleProcesses', Number(count));
  this.attach(result.stdout, { mediaType: 'text/plain', fileName: 'processes.txt' });
});

Then('it sees at most {int} process(es)', doc(
  'A finding if the container sees more processes than this: a container in its own pid namespace sees only its own.',
  'Then it sees at most 5 processes',
), function (this: KeelhaulWorld, limit: number) {
  const { count } = this.state.processes as { count: number };
  expect(count, `the container sees ${count} processes: it shares a pid namespace`).to.be.at.most(limit);
});

Then('its first process is not the host\'s init', doc(
  'A finding if pid 1 in the container is an init system (systemd, init): the container shares the host\'s pid namespace.',
  'Then its first process is not the host\'s init',
), function (this: KeelhaulWorld) {
  const { init } = this.state.processes as { init: string };
  if (['systemd', 'init'].includes(init)) throw new Finding(`pid 1 in the container is "${init}": the host's init`);
});
