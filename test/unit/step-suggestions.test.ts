// Suggestions for undefined steps (keelhaul check): nearest phrases, snippets, keywords; and the
// placeholder filling of the generic attack steps.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveKeyword, nearestPatterns, similarity, snippetFor } from '../../run/step-suggestions.js';

const PATTERNS = [
  'the attack output contains {string}',
  'the attack output does not contain {string}',
  'the attack output matches {string}',
  'a target container running:',
  'a target container from {string} running:',
  'I launch an attack from {string} with:',
  'its effective capabilities include none of {string}',
  'seccomp filtering is on',
];

describe('nearestPatterns', () => {
  test('a typo finds the phrase it was meant to be, first', () => {
    assert.equal(nearestPatterns('a target container runing:', PATTERNS)[0], 'a target container running:');
    assert.equal(nearestPatterns('seccomp filtering is onn', PATTERNS)[0], 'seccomp filtering is on');
    assert.equal(nearestPatterns('the attack output matchs "x"', PATTERNS)[0], 'the attack output matches {string}');
  });

  test('quoted values and numbers compare as parameters', () => {
    assert.equal(nearestPatterns('its effective capabilities include none of "SYS_ADMIN"', PATTERNS)[0], 'its effective capabilities include none of {string}');
    assert.equal(nearestPatterns('I launch an attack from "alpine:3" with:', PATTERNS)[0], 'I launch an attack from {string} with:');
  });

  test('an unrelated phrase suggests nothing, and at most three are offered', () => {
    assert.deepEqual(nearestPatterns('the moon is made of cheese', PATTERNS), []);
    assert.ok(nearestPatterns('the attack output contain "x"', PATTERNS).length <= 3);
  });

  test('similarity is symmetric and 1 for the same phrase', () => {
    assert.equal(similarity('seccomp filtering is on', 'seccomp filtering is on'), 1);
    assert.equal(similarity('a b c', 'c b a').toFixed(6), similarity('c b a', 'a b c').toFixed(6));
    assert.equal(similarity('', 'anything'), 0);
  });
});

describe('snippetFor', () => {
  test('quoted text becomes {string}, whole numbers {int}, decimals {float}, with typed parameters', () => {
    assert.equal(
      snippetFor('the "nmap" scan finds 3 ports in 0.5 s', 'When'),
      "When('the {string} scan finds {int} ports in {float} s', async function (this: KeelhaulWorld, s1: string, n2: number, n3: number) { /* judge from inside the container */ });",
    );
  });

  test('a step ending in ":" gets a parameter for its doc string; quotes and cucumber-expression characters are escaped', () => {
    const snippet = snippetFor("the host's /etc (as seen from inside) reads:", 'Given');
    assert.match(snippet, /^Given\('the host\\'s \\\/etc \\\(as seen from inside\\\) reads:', async function \(this: KeelhaulWorld, content: string/);
  });

  test('an unknown keyword falls back to Then', () => {
    assert.match(snippetFor('x', 'And'), /^Then\('x'/);
  });
});

describe('effectiveKeyword', () => {
  const lines = [
    'Feature: f',
    '  Scenario: s',
    '    Given a target container running:',
    '      """',
    '      And this is not a step',
    '      """',
    '    And the target listens on port 80',
    '    When I launch an attack with:',
    '    But nothing else',
    '    Then the attack exits with status 0',
    '    * and another',
  ];
  test('And, But and * stand for the keyword above them', () => {
    assert.equal(effectiveKeyword(lines, 3), 'Given');
    assert.equal(effectiveKeyword(lines, 7), 'Given');
    assert.equal(effectiveKeyword(lines, 9), 'When');
    assert.equal(effectiveKeyword(lines, 11), 'Then');
  });
  test('no keyword above in the scenario: Then', () => {
    assert.equal(effectiveKeyword(['Feature: f', '  Scenario: s', '    And first'], 3), 'Then');
  });
});
