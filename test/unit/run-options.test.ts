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

test('--run-id takes a label-safe id and refuses anything else (exit 2, one line)', async () => {
  const { buildProgram } = await import('../../cli/program.js');
  const parse = async (id: string) => {
    const program = buildProgram(() => undefined);
    for (const command of [program, ...program.commands]) command.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    // Only the option parsing: the action (a real run) is replaced.
    program.commands.find((c) => c.name() === 'run')!.action(() => undefined);
    try {
      await program.parseAsync(['node', 'keelhaul', 'run', '--run-id', id]);
      return 'accepted';
    } catch (error) {
      return `${(error as { code?: string }).code}: ${(error as Error).message}`;
    }
  };
  assert.equal(await parse('ci-1234_build.7'), 'accepted');
  for (const bad of ['', '../etc', '-x', 'a b', 'x'.repeat(64), 'id=1']) {
    assert.match(await parse(bad), /^commander\.invalidArgument: error: option '--run-id <id>' argument '.*' is invalid\. must be 1 to 63/, bad);
  }
});
