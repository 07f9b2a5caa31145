// The layout's import rules, checked (in the spirit of Playwright's DEPS.list): which folder may import
// which, and which npm packages only one module may import. docs/developing.md mirrors RULES; the last
// test keeps the two in step. Imports are read with the TypeScript compiler's parser (type-only imports
// count: a type import still ties the layers together), including import(), require() and
// createRequire(...)(...), which is how docker-client.ts loads dockerode lazily.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..', '..');

/** The product folders (tsconfig.json's include) and what each may import of the others. */
export const RULES: Record<string, { may: string[]; why: string }> = {
  cli: { may: ['cli', 'run', 'support', 'adapters', 'judges'], why: 'cli is the top layer' },
  run: { may: ['run', 'support', 'adapters', 'judges'], why: 'run orchestrates; cucumber loads steps/, run never imports them' },
  steps: { may: ['support', 'adapters', 'judges'], why: 'no step file imports another: shared code goes to support/ (recipes) or judges/ (pure rules)' },
  support: { may: ['support', 'adapters', 'judges'], why: 'support is below run: what run and support share (types, constants) lives in support/ or judges/' },
  adapters: { may: ['adapters', 'judges'], why: 'adapters talk to the platform and tools, and know nothing of runs or scenarios' },
  judges: { may: ['judges'], why: 'judges are pure: only judges/ and Node built-ins, so they are unit-tested without an engine' },
};

/** npm packages only one module may import (every other module goes through it). */
export const OWNED_PACKAGES: Record<string, string> = {
  dockerode: 'adapters/platform/docker-client.ts',
  execa: 'adapters/tools/exec.ts',
};

export interface Import { specifier: string; line: number }

/** Every module specifier a source file names: static and dynamic imports, re-exports, require. */
export function importsOf(fileName: string, text: string): Import[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Import[] = [];
  const requirers = new Set<string>(['require']); // identifiers bound to createRequire(...)
  const add = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) found.push({ specifier: node.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const isCreateRequireCall = (node: ts.Node): boolean =>
    ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'createRequire';
  const isRequirer = (node: ts.Node): boolean =>
    isCreateRequireCall(node) || (ts.isIdentifier(node) && requirers.has(node.text));
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && isCreateRequireCall(node.initializer)) requirers.add(node.name.text);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const [first] = node.arguments;
      if (callee.kind === ts.SyntaxKind.ImportKeyword) add(first);
      else if (isRequirer(callee)) add(first);
      // require.resolve('x') / createRequire(...).resolve('x'): depends on the package being there.
      else if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'resolve' && isRequirer(callee.expression)) add(first);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

export interface Violation { file: string; line: number; specifier: string; rule: string }

function layerOf(path: string): string | undefined {
  const top = path.split('/')[0]!;
  return Object.hasOwn(RULES, top) ? top : undefined;
}

/** file: a path relative to the repository root, with forward slashes. */
export function check(file: string, imports: Import[]): Violation[] {
  const from = layerOf(file);
  if (!from) return [];
  const out: Violation[] = [];
  for (const { specifier, line } of imports) {
    const report = (rule: string) => out.push({ file, line, specifier, rule });
    if (specifier.startsWith('.')) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      const to = layerOf(target);
      if (!to) report(`${from}/ imports only from the product folders (${Object.keys(RULES).join(', ')}); ${target} is outside them`);
      else if (!RULES[from]!.may.includes(to)) {
        report(`${from}/ may import ${RULES[from]!.may.map((l) => `${l}/`).join(', ')}; not ${to}/ (${RULES[from]!.why})`);
      }
      continue;
    }
    const builtin = specifier.startsWith('node:') || isBuiltin(specifier);
    if (builtin) continue;
    if (from === 'judges') {
      report(`judges/ imports nothing but judges/ and Node built-ins; "${specifier}" is a package (${RULES.judges!.why})`);
      continue;
    }
    const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
    const owner = OWNED_PACKAGES[name];
    if (owner && owner !== file) report(`only ${owner} imports ${name}; go through it`);
  }
  return out;
}

export function describeViolation(v: Violation): string {
  return `${v.file}:${v.line} imports '${v.specifier}': ${v.rule}`;
}

function productFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(c|m)?ts$/.test(entry) && !entry.endsWith('.d.ts')) files.push(relative(ROOT, path).split(sep).join('/'));
    }
  };
  for (const layer of Object.keys(RULES)) walk(join(ROOT, layer));
  return files.sort();
}

test('every product file keeps to the import rules (fix the import named, or move the shared code down a layer)', () => {
  const files = productFiles();
  assert.ok(files.length > 50, `found only ${files.length} product files under ${ROOT}`);
  const violations = files.flatMap((file) => check(file, importsOf(file, readFileSync(join(ROOT, file), 'utf8'))));
  assert.deepEqual(violations.map(describeViolation), [], `\n${violations.map(describeViolation).join('\n')}\n`);
});

test('the parser sees every form of import, and the rules catch each kind of violation', () => {
  const text = [
    "import type { Profile } from '../run/profiles.js';",
    "import { x } from '../steps/isolation.steps.js';",
    "export { y } from './other.steps.js';",
    "const m = await import('execa');",
    "import { createRequire } from 'node:module';",
    "const req = createRequire(import.meta.url);",
    "const D = createRequire(import.meta.url)('dockerode');",
    "req.resolve('dockerode/lib/docker');",
    "type T = typeof import('chai');",
  ].join('\n');
  const imports = importsOf('steps/x.steps.ts', text);
  assert.deepEqual(imports.map((i) => i.specifier), ['../run/profiles.js', '../steps/isolation.steps.js', './other.steps.js', 'execa', 'node:module', 'dockerode', 'dockerode/lib/docker', 'chai']);
  const messages = check('steps/x.steps.ts', imports).map(describeViolation);
  assert.deepEqual(messages.map((m) => m.split(':')[1]), ['1 imports \'../run/profiles.js\'', '2 imports \'../steps/isolation.steps.js\'', '3 imports \'./other.steps.js\'', '4 imports \'execa\'', '7 imports \'dockerode\'', '8 imports \'dockerode/lib/docker\'']);
  assert.match(messages[0]!, /^steps\/x\.steps\.ts:1 imports '\.\.\/run\/profiles\.js': steps\/ may import support\/, adapters\/, judges\/; not run\//);
  assert.match(messages[3]!, /only adapters\/tools\/exec\.ts imports execa/);
  // judges: packages and other layers are both refused; built-ins are fine.
  const judged = check('judges/x.ts', importsOf('judges/x.ts', "import { readFileSync } from 'node:fs';\nimport 'os';\nimport { parse } from 'yaml';\nimport type { Fingerprint } from '../adapters/platform/fingerprint.js';"));
  assert.deepEqual(judged.map((v) => v.line), [3, 4]);
  // The owners themselves may import their package.
  assert.deepEqual(check('adapters/platform/docker-client.ts', importsOf('a.ts', "import type Docker from 'dockerode';")), []);
  assert.deepEqual(check('support/parameters.ts', importsOf('a.ts', "import type { Profile } from '../run/profiles.js';")).map((v) => v.rule.split(';')[1]?.trim().split(' ')[0]), ['not']);
});

test('docs/developing.md lists the same rules as this test', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'developing.md'), 'utf8');
  const lines = doc.split('\n');
  const header = lines.indexOf('| folder | may import | why |');
  assert.ok(header >= 0, 'docs/developing.md has no import-rules table (header "| folder | may import | why |")');
  const end = lines.findIndex((line, i) => i > header && !line.startsWith('|'));
  const rows = lines.slice(header + 2, end);
  assert.deepEqual(rows.map((row) => row.split('|')[1]!.trim()), Object.keys(RULES).map((l) => `\`${l}/\``), 'the table\'s folders, in order');
  for (const [layer, { may }] of Object.entries(RULES)) {
    const row = rows.find((line) => line.startsWith(`| \`${layer}/\` |`))!;
    const listed = [...row.split('|')[2]!.matchAll(/`([a-z]+)\/`/g)].map((m) => m[1]);
    assert.deepEqual(listed, may, `docs/developing.md's row for ${layer}/ lists ${listed.join(', ')}; the test says ${may.join(', ')}`);
  }
  for (const [name, owner] of Object.entries(OWNED_PACKAGES)) {
    assert.ok(doc.includes(`only \`${owner}\` imports \`${name}\``), `docs/developing.md does not say: only \`${owner}\` imports \`${name}\``);
  }
});
