// Everything a scenario creates, so the After hook can remove it whatever the outcome.
// Removal is by ID of what this scenario created; the run-wide sweep by label covers the rest.
import type { PlatformClient } from '../adapters/platform/docker-client.js';
import { oneLine } from '../judges/errors.js';

type Kind = 'container' | 'network' | 'volume';

export class ResourceTracker {
  private readonly items: Array<{ kind: Kind; id: string }> = [];

  track(kind: Kind, id: string): void {
    this.items.push({ kind, id });
  }

  get size(): number {
    return this.items.length;
  }

  /** Containers first (they hold networks and volumes), newest first. Returns what could not be removed. */
  async removeAll(client: PlatformClient): Promise<string[]> {
    const failures: string[] = [];
    const order: Kind[] = ['container', 'network', 'volume'];
    for (const kind of order) {
      const batch = this.items.filter((i) => i.kind === kind).reverse();
      await Promise.all(batch.map(async ({ id }) => {
        try {
          if (kind === 'container') await client.removeContainer(id);
          else if (kind === 'network') await client.removeNetwork(id);
          else await client.removeVolume(id);
        } catch (error) {
          failures.push(`${kind} ${id.slice(0, 12)}: ${oneLine(error)}`);
        }
      }));
    }
    this.items.length = 0;
    return failures;
  }
}
