// Vacuous pass 1 (issue 14): Gherkin that parses but would run nothing is an authoring error, and
// ordinary prose in a description is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editDistance, lintDocument, suspiciousDescriptionLine } from '../../judges/authoring-lint.js';

const STEPS = [/^a container started with no options$/, /^"[^"]*" are masked or absent$/];
const matches = (text: string) => STEPS.some((r) => r.test(text));

test('a keyword with no text, a misspelt or split keyword, a step without its keyword are flagged', () => {
  for (const line of ['Given', 'Then:', '*', 'Scenario', 'Examples:', 'Thn foo', 'Givn the thing', 'Scenari o oops', 'Scenaro: x', 'Backgroud:',
    'Featuer: y', 'Adn then', 'given a container started with no options', 'Gievn a container started with no options',
    'a container started with no options', 'When a container started with no options']) {
    assert.ok(suspiciousDescriptionLine(line, matches), `should be flagged: ${line}`);
  }
});

test('prose is not flagged', () => {
  for (const line of ['The probe reads /proc/self/mountinfo.', 'Then the engine decides.', 'When the engine is old, this is skipped.',
    'And so on.', 'But not here.', 'Deviations from the catalogue (attacks.md 8.1):', '- ISO-08: busybox `test -w` is always true',
    'scenarios run in parallel', 'Scenarios here are slow', 'They are judged', 'Each row is a scenario', 'Ant colonies', 'Bus stop',
    'Features like these', 'Rules apply']) {
    assert.equal(suspiciousDescriptionLine(line, matches), undefined, line);
  }
});

test('edit distance counts a swapped pair as one edit', () => {
  assert.equal(editDistance('Thn', 'Then'), 1);
  assert.equal(editDistance('Adn', 'And'), 1);
  assert.equal(editDistance('Scenario', 'Scenari'), 1);
});

test('a scenario with no steps is reported at its line, description lines at theirs', () => {
  const source = 'Feature: broken\n  Scenario: x\n    Given\n    Scenari o oops\n';
  const feature = {
    keyword: 'Feature', name: 'broken', description: '', location: { line: 1, column: 1 },
    children: [{ scenario: { keyword: 'Scenario', name: 'x', description: '    Given\n    Scenari o oops', location: { line: 2, column: 3 }, steps: [], examples: [] } }],
  };
  const problems = lintDocument('b.feature', feature, source, matches);
  assert.deepEqual(problems.map((p) => `${p.line}:${p.column}`), ['2:3', '3:5', '4:5']);
  assert.match(problems[0]!.message, /Scenario "x" has no steps/);
});
