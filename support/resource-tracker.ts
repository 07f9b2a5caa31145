// Everything a scenario creates, so the After hook can remove it whatever the outcome.
// Removal is by ID of what this scenario created; the run-wide sweep by label covers the rest.
import type { PlatformClient } from '../adapters/platform/docker-client.js';
import { oneLine } from '../judges/errors.js';

type Kind = 'container' | 'network' | 'volume';

export class ResourceTracker {
  private items: Array<{ kind: Kind; id: string }> = [];
  /** Removals started while the scenario goes on; the scenario's end waits for them. */
  private readonly pending: Promise<void>[] = [];
  /** Work still using the scenario's resources (holdUntil): waited for before anything is removed. */
  private readonly held: Promise<void>[] = [];
  /** Containers whose background removal is under way. */
  private readonly removing = new Set<string>();

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
    this.removing.add(id);
    this.pending.push(client.removeContainer(id).then(
      () => { this.items = this.items.filter((i) => i.id !== id); },
      () => undefined,
    ).finally(() => this.removing.delete(id)));
  }

  /**
   * Work a step started and a later step collects (a container still running): removeAll waits for
   * it before removing anything, so it never creates or uses a resource after the clean-up. Its
   * failure is the collecting step's to report.
   */
  holdUntil(work: Promise<unknown>): void {
    this.held.push(work.then(() => undefined, () => undefined));
  }

  /**
   * Containers first (they hold networks and volumes), newest first: those not already being removed
   * beside the removals under way (one removal does not wait for another), then any whose background
   * removal failed; then networks, then volumes. Returns what could not be removed.
   */
  async removeAll(client: PlatformClient): Promise<string[]> {
    await Promise.all(this.held.splice(0));
    const failures: string[] = [];
    const remove = async ({ kind, id }: { kind: Kind; id: string }): Promise<void> => {
      try {
        if (kind === 'container') await client.removeContainer(id);
        else if (kind === 'network') await client.removeNetwork(id);
        else await client.removeVolume(id);
      } catch (error) {
        failures.push(`${kind} ${id.slice(0, 12)}: ${oneLine(error)}`);
      }
    };
    const of = (kind: Kind) => this.items.filter((i) => i.kind === kind).reverse();
    const containers = of('container').filter((i) => !this.removing.has(i.id));
    await Promise.all([...this.pending.splice(0), ...containers.map(remove)]);
    await Promise.all(of('container').filter((i) => !containers.includes(i)).map(remove));
    for (const kind of ['network', 'volume'] as const) await Promise.all(of(kind).map(remove));
    this.items = [];
    return failures;
  }
}
