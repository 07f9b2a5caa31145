// The Profile type (judges/profile.ts, what the code reads) and profiles/schema.json (what a user's file
// may say) describe one contract. They drifted once: a step read semantics.networkIsolation, which the
// schema forbade, so that branch could never run. This test walks both, key by key and recursively,
// with the TypeScript type checker on one side and the JSON schema on the other, and fails on a key
// either side lacks, a required/optional mismatch, or a different set of enum values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..', '..');
const TYPE_FILE = join(ROOT, 'judges', 'profile.ts');
const SCHEMA_FILE = join(ROOT, 'profiles', 'schema.json');
/** In the type but deliberately not in the schema: added by the loader, never written by a user. */
const LOADER_ONLY = new Set(['source']);

/** The common shape both sides are reduced to. */
type Shape =
  | { kind: 'object'; properties: Record<string, { required: boolean; shape: Shape }>; values?: Shape }
  | { kind: 'array'; items: Shape }
  | { kind: 'enum'; values: string[] }
  | { kind: 'scalar'; type: string };

function fromType(checker: ts.TypeChecker, type: ts.Type, where: string): Shape {
  type = checker.getNonNullableType(type);
  if (type.isUnion() && type.types.every((t) => t.isStringLiteral())) {
    return { kind: 'enum', values: type.types.map((t) => (t as ts.StringLiteralType).value).sort() };
  }
  if (type.isStringLiteral()) return { kind: 'enum', values: [type.value] };
  if (checker.isArrayType(type)) return { kind: 'array', items: fromType(checker, checker.getTypeArguments(type as ts.TypeReference)[0]!, `${where}[]`) };
  if (type.flags & (ts.TypeFlags.String | ts.TypeFlags.Number | ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) {
    return { kind: 'scalar', type: type.flags & ts.TypeFlags.String ? 'string' : type.flags & ts.TypeFlags.Number ? 'number' : 'boolean' };
  }
  if (type.flags & ts.TypeFlags.Object) {
    const properties: Record<string, { required: boolean; shape: Shape }> = {};
    for (const symbol of checker.getPropertiesOfType(type)) {
      const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
      const propertyType = declaration ? checker.getTypeOfSymbolAtLocation(symbol, declaration) : checker.getDeclaredTypeOfSymbol(symbol);
      properties[symbol.name] = { required: (symbol.flags & ts.SymbolFlags.Optional) === 0, shape: fromType(checker, propertyType, `${where}.${symbol.name}`) };
    }
    const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
    return { kind: 'object', properties, ...(index ? { values: fromType(checker, index.type, `${where}.*`) } : {}) };
  }
  throw new Error(`${where}: a type this test does not reduce (${checker.typeToString(type)}): extend fromType`);
}

function fromSchema(schema: any, where: string): Shape {
  if (Array.isArray(schema.enum)) return { kind: 'enum', values: schema.enum.map(String).sort() };
  if (schema.type === 'array') return { kind: 'array', items: fromSchema(schema.items ?? {}, `${where}[]`) };
  if (schema.type === 'object' || schema.properties || typeof schema.additionalProperties === 'object') {
    const required = new Set<string>(schema.required ?? []);
    const properties: Record<string, { required: boolean; shape: Shape }> = {};
    for (const [key, sub] of Object.entries<any>(schema.properties ?? {})) properties[key] = { required: required.has(key), shape: fromSchema(sub, `${where}.${key}`) };
    const values = typeof schema.additionalProperties === 'object' ? fromSchema(schema.additionalProperties, `${where}.*`) : undefined;
    return { kind: 'object', properties, ...(values ? { values } : {}) };
  }
  if (['string', 'number', 'integer', 'boolean'].includes(schema.type)) return { kind: 'scalar', type: schema.type === 'integer' ? 'number' : schema.type };
  throw new Error(`${where}: a schema this test does not reduce (${JSON.stringify(schema).slice(0, 120)}): extend fromSchema`);
}

/** Every difference, as "path: what" lines (empty when they agree). */
function compare(typeShape: Shape, schemaShape: Shape, where: string, top = false): string[] {
  if (typeShape.kind !== schemaShape.kind) return [`${where}: the type says ${typeShape.kind}, the schema ${schemaShape.kind}`];
  if (typeShape.kind === 'scalar' && schemaShape.kind === 'scalar') {
    return typeShape.type === schemaShape.type ? [] : [`${where}: the type says ${typeShape.type}, the schema ${schemaShape.type}`];
  }
  if (typeShape.kind === 'enum' && schemaShape.kind === 'enum') {
    return typeShape.values.join() === schemaShape.values.join() ? [] : [`${where}: the type allows ${typeShape.values.join(', ')}; the schema ${schemaShape.values.join(', ')}`];
  }
  if (typeShape.kind === 'array' && schemaShape.kind === 'array') return compare(typeShape.items, schemaShape.items, `${where}[]`);
  if (typeShape.kind === 'object' && schemaShape.kind === 'object') {
    const out: string[] = [];
    for (const [key, t] of Object.entries(typeShape.properties)) {
      if (top && LOADER_ONLY.has(key)) continue;
      const s = schemaShape.properties[key];
      if (!s) { out.push(`${where}.${key}: in the Profile type (judges/profile.ts), not in profiles/schema.json`); continue; }
      if (t.required !== s.required) out.push(`${where}.${key}: ${t.required ? 'required' : 'optional'} in the type, ${s.required ? 'required' : 'optional'} in the schema`);
      out.push(...compare(t.shape, s.shape, `${where}.${key}`));
    }
    for (const key of Object.keys(schemaShape.properties)) {
      if (!typeShape.properties[key]) out.push(`${where}.${key}: in profiles/schema.json, not in the Profile type (judges/profile.ts)`);
    }
    if (!!typeShape.values !== !!schemaShape.values) out.push(`${where}: free-form keys (Record) in ${typeShape.values ? 'the type' : 'the schema'} only`);
    else if (typeShape.values && schemaShape.values) out.push(...compare(typeShape.values, schemaShape.values, `${where}.*`));
    return out;
  }
  return [];
}

function profileTypeShape(): Shape {
  const program = ts.createProgram([TYPE_FILE], { strict: true, noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(TYPE_FILE)!;
  const module = checker.getSymbolAtLocation(source);
  const symbol = module && checker.getExportsOfModule(module).find((s) => s.name === 'Profile');
  assert.ok(symbol, `no interface Profile in ${TYPE_FILE}`);
  return fromType(checker, checker.getDeclaredTypeOfSymbol(symbol), 'Profile');
}

test('the Profile type and profiles/schema.json name the same keys, recursively, both ways', () => {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
  const differences = compare(profileTypeShape(), fromSchema(schema, 'Profile'), 'Profile', true);
  assert.deepEqual(differences, [], `\n${differences.join('\n')}\n(change both, or neither)`);
});

test('the comparison catches a key on one side only, an enum value, and required against optional', () => {
  const typeShape = profileTypeShape();
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
  delete schema.properties.semantics.properties.noneNetwork;
  schema.properties.promises.properties.sandboxed = { type: 'boolean' };
  schema.properties.semantics.properties.placement.enum.push('anywhere');
  schema.required = ['name'];
  assert.deepEqual(compare(typeShape, fromSchema(schema, 'Profile'), 'Profile', true).sort(), [
    'Profile.multiTenant: required in the type, optional in the schema',
    'Profile.promises.sandboxed: in profiles/schema.json, not in the Profile type (judges/profile.ts)',
    'Profile.semantics.noneNetwork: in the Profile type (judges/profile.ts), not in profiles/schema.json',
    'Profile.semantics.placement: the type allows single-host, swarm-affinity; the schema anywhere, single-host, swarm-affinity',
  ]);
});
