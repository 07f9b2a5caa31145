// Steps about the platform itself, answered by its API without starting a container.
import { Given, Then } from '@cucumber/cucumber';
import { expect } from 'chai';
import { doc, itemsFrom } from '../support/step-docs.js';
import type { KeelhaulWorld } from '../support/world.js';

Given('the platform answers a ping', doc(
  'GET /_ping must answer 200 OK. Starts no container: the cheapest check that the API is there.',
  'Given the platform answers a ping',
), async function (this: KeelhaulWorld) {
  const response = await this.platform.raw({ method: 'GET', path: '/_ping', unversioned: true, signal: this.signal });
  this.observe('pingStatus', response.status);
  this.observe('pingApiVersionHeader', response.headers['api-version'] ?? null);
  expect(response.status, `GET /_ping answered ${response.status}: ${response.text.slice(0, 120)}`).to.equal(200);
});

Then('the platform is a {string} engine', doc(
  'Compares the fingerprint\'s engine kind (docker, podman, sdc, unknown) from /version and /info.',
  'Then the platform is a "docker" engine',
  undefined, itemsFrom('engine kinds', ['docker', 'podman', 'sdc', 'unknown']),
), function (this: KeelhaulWorld, engine: string) {
  expect(this.fingerprint.engine, `the platform is ${this.fingerprint.engine} ${this.fingerprint.version}`).to.equal(engine);
});
