// `keelhaul clean`: remove what keelhaul labelled on a platform, and nothing else.
import type { Writable } from 'node:stream';
import { EXIT } from '../judges/outcome.js';
import { connectPlatform, newRunId } from './run.js';
import { sweep } from './sweep.js';

export async function clean(options: { target?: string; runId?: string; stdout: Writable }): Promise<number> {
  const platform = await connectPlatform(options.target, `clean-${newRunId()}`);
  const result = await sweep(platform.client, options.runId);
  const { containers, networks, volumes } = result.removed;
  const scope = options.runId ? `run ${options.runId}` : result.runs.length > 0 ? `runs ${result.runs.join(', ')}` : 'any run';
  options.stdout.write(`keelhaul clean: removed ${containers} container(s), ${networks} network(s), ${volumes} volume(s) labelled by ${scope} on ${platform.client.url}\n`);
  for (const failure of result.failures) options.stdout.write(`  could not remove ${failure}\n`);
  return result.failures.length > 0 ? EXIT.platform : EXIT.ok;
}
