// The engine's event stream (GET /events), read live: the only faithful record of what a run did.
// Not `/events?since=`: Docker answers that from the last 256 events it keeps (daemon/events:
// eventsLimit), so on a long run, or an engine shared with other runs, the early events are gone by
// its end. Used by the acceptance tests and the bench.
import { request } from 'node:http';

export interface EventWatch {
  /** Resolves once the subscription is in place. */
  ready: Promise<void>;
  /** Waits a second for the last events (they reach the stream just after the run ends), then closes. */
  stop: () => Promise<void>;
}

/** Call `onEvent` with each event matching `filters` (the API's filters object) from now until stop(). */
export function watchEvents(target: string, filters: Record<string, string[]>, onEvent: (event: any) => void): EventWatch {
  if (!target.startsWith('unix://')) throw new Error(`watchEvents needs a unix:// target, not ${target}`);
  let buffered = '';
  let failed: Error | undefined;
  const take = (line: string) => { if (line.trim()) onEvent(JSON.parse(line)); };
  const req = request({ socketPath: target.slice('unix://'.length), path: `/events?filters=${encodeURIComponent(JSON.stringify(filters))}`, method: 'GET' });
  const ready = new Promise<void>((resolve, reject) => {
    // An engine may hold the stream's headers back until the first event; the subscription is in place
    // once the request has reached it, so a moment after connecting is ready enough.
    req.on('socket', (socket) => socket.on('connect', () => setTimeout(resolve, 300)));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        failed = new Error(`/events answered ${res.statusCode}`);
        return reject(failed);
      }
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buffered += d;
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        lines.forEach(take);
      });
      resolve();
    });
    req.on('error', (e) => { failed = e; reject(e); });
  });
  req.end();
  return {
    ready,
    stop: async () => {
      await new Promise((r) => setTimeout(r, 1000));
      req.destroy();
      if (failed && (failed as NodeJS.ErrnoException).code !== 'ECONNRESET') throw failed;
      take(buffered);
    },
  };
}
