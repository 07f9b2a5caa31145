// Everything a scenario creates, so the After hook can remove it whatever the outcome.
// Removal is by ID of what this scenario created; the run-wide sweep by label covers the rest.
import type { PlatformClient } from '../adapters/platform/docker-client.js';
import { oneLine } from '../judges/errors.js';

type Kind = 'container' | 'network' | 'volume';

export class ResourceTracker {
  private items: Array<{ kind: Kind; id: string }> = [];
  /** Removals started while the scenario goes on; the scenario's end waits for them. */
  private readonly pending: Promise<void>[] = [];

  track(kind: Kind, id: string): void {
    this.items.push({ kind, id });
  }

  get size(): number {
    return this.items.length;
  }

  /**
   * Remove a finished container without making the scenario wait for it (removal is most of a short
   * container's life cycle). A failure leaves it tracked, so removeAll tries again.
   */
  removeInBackground(client: PlatformClient, id: string): void {
    this.pending.push(client.removeContainer(id).then(
      () => { this.items = this.items.filter((i) => i.id !== id); },
      () => undefined,
    ));
  }

  /** Containers first (they hold networks and volumes), newest first. Returns what could not be removed. */
  async removeAll(client: PlatformClient): Promise<string[]> {
    await Promise.all(this.pending.splice(0));
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
    this.items = [];
    return failures;
  }
}
