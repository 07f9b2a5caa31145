// The step layer's shape, checked (issue 15): a step body parses its arguments and calls one named helper
// (support/) or judge (judges/), so no body grows past MAX_BODY_LINES; a step's code is one hop from its
// text. Read with the TypeScript parser: every Given/When/Then call in steps/ whose last argument is the
// step function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const STEPS = join(import.meta.dirname, '..', '..', 'steps');
export const MAX_BODY_LINES = 30;

interface StepBody { file: string; line: number; lines: number; text: string }

export function stepBodies(fileName: string, text: string): StepBody[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: StepBody[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && ['Given', 'When', 'Then', 'defineStep'].includes(node.expression.text)) {
      const fn = node.arguments.at(-1);
      const pattern = node.arguments[0];
      if (fn && (ts.isFunctionExpression(fn) || ts.isArrowFunction(fn))) {
        const start = source.getLineAndCharacterOfPosition(fn.body.getStart()).line;
        const end = source.getLineAndCharacterOfPosition(fn.body.getEnd()).line;
        found.push({ file: fileName, line: start + 1, lines: end - start + 1, text: pattern && ts.isStringLiteralLike(pattern) ? pattern.text : '(pattern)' });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test(`no step body is longer than ${MAX_BODY_LINES} lines`, () => {
  const bodies = readdirSync(STEPS).filter((f) => f.endsWith('.ts'))
    .flatMap((f) => stepBodies(`steps/${f}`, readFileSync(join(STEPS, f), 'utf8')));
  assert.ok(bodies.length > 100, `found only ${bodies.length} step definitions: the parser missed them`);
  const long = bodies.filter((b) => b.lines > MAX_BODY_LINES)
    .map((b) => `${b.file}:${b.line} "${b.text}" has a ${b.lines}-line body: move its logic into support/ or judges/`);
  assert.deepEqual(long, []);
});

test('the body check sees a long body', () => {
  const body = Array.from({ length: MAX_BODY_LINES + 2 }, (_, i) => `  const x${i} = ${i};`).join('\n');
  const [found] = stepBodies('x.ts', `Then('it is long', async function () {\n${body}\n});`);
  assert.equal(found?.lines, MAX_BODY_LINES + 4);
});

/** The patterns given to planProbes (support/probe-plan.ts) in a step file, as string literals. */
function plannedPatterns(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'planProbes') {
      const pattern = node.arguments[0];
      found.push(pattern && ts.isStringLiteralLike(pattern) ? pattern.text : '(not a string literal)');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('every probe planner sits beside the step it plans for: its pattern is a step of the same file', () => {
  const files = readdirSync(STEPS).filter((f) => f.endsWith('.ts'));
  let planned = 0;
  for (const f of files) {
    const text = readFileSync(join(STEPS, f), 'utf8');
    const steps = new Set(stepBodies(`steps/${f}`, text).map((b) => b.text));
    // Steps defined with a shared function (`Then('...', doc(...), seccompInForce)`) count too.
    for (const m of text.matchAll(/^(?:Given|When|Then)\('((?:[^'\\]|\\.)*)'/gm)) steps.add(m[1]!.replace(/\\'/g, "'"));
    for (const pattern of plannedPatterns(`steps/${f}`, text)) {
      planned++;
      assert.ok(steps.has(pattern), `steps/${f}: planProbes('${pattern}') names no step of this file`);
    }
  }
  assert.ok(planned >= 10, `found only ${planned} planners: the parser missed them`);
});
