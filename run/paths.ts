// Where keelhaul's own files are, whether it runs from a checkout (dist/) or from the image.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the folder holding package.json, features/ and profiles/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'features'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find keelhaul\'s package root');
}

/** Compiled support and step code: dist/support and dist/steps next to this file's dist/run. */
export function compiledDir(): string {
  return dirname(dirname(fileURLToPath(import.meta.url)));
}
