import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenarioIdOf } from '../../judges/scenario-id.js';

const outline = (examples: Array<{ tags: string[]; rows: string[] }>) => ({
  feature: { children: [{ scenario: { id: 's1', examples: examples.map((e) => ({ tags: e.tags.map((name) => ({ name })), tableBody: e.rows.map((id) => ({ id })) })) } }] },
});

test('a plain scenario keeps its ID tag', () => {
  assert.equal(scenarioIdOf({ name: 'x', tags: [{ name: '@isolation' }, { name: '@ISO-01' }], astNodeIds: ['s1'] }), 'ISO-01');
});

test('outline rows sharing one ID get their row number', () => {
  const doc = outline([{ tags: [], rows: ['r1', 'r2'] }]);
  assert.equal(scenarioIdOf({ name: 'x', tags: [{ name: '@PORT-02' }], astNodeIds: ['s1', 'r1'] }, doc), 'PORT-02-1');
  assert.equal(scenarioIdOf({ name: 'x', tags: [{ name: '@PORT-02' }], astNodeIds: ['s1', 'r2'] }, doc), 'PORT-02-2');
});

test('a one-row Examples block tagged with its own ID keeps it', () => {
  const doc = outline([{ tags: ['@CONF-C1'], rows: ['r1'] }, { tags: ['@CONF-C2'], rows: ['r2'] }]);
  assert.equal(scenarioIdOf({ name: 'x', tags: [{ name: '@conformance' }, { name: '@CONF-C2' }], astNodeIds: ['s1', 'r2'] }, doc), 'CONF-C2');
});

test('no ID tag: a slug of the name', () => {
  assert.equal(scenarioIdOf({ name: 'A user\'s own attack!', tags: [], astNodeIds: ['s1'] }), 'a-user-s-own-attack');
});
