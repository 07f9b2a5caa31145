import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withoutDeep } from '../../run/run.js';

test('@deep scenarios run only when the tag expression names @deep', () => {
  assert.equal(withoutDeep(undefined), 'not @deep');
  assert.equal(withoutDeep('  '), 'not @deep');
  assert.equal(withoutDeep('@isolation'), '(@isolation) and not @deep');
  assert.equal(withoutDeep('@isolation or @ports'), '(@isolation or @ports) and not @deep');
  assert.equal(withoutDeep('@isolation and @deep'), '@isolation and @deep');
});
