/**
 * A loopback webhook target that records every notification POST the registry sends.
 * It answers 200 immediately (the registry retries anything else forever and blocks the queue),
 * unless a test sets another status to exercise retries.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** One event of the `{"events":[...]}` envelope, as distribution 2.8 sends it. */
export interface RegistryNotificationEvent {
  id: string;
  timestamp: string;
  action: 'push' | 'pull' | 'mount' | 'delete';
  target: {
    mediaType?: string;
    size?: number;
    length?: number;
    digest?: string;
    repository: string;
    url?: string;
    /** Only on manifest events that named a tag, and on tag deletes. */
    tag?: string;
    /** Only with includereferences, only on manifest events. */
    references?: { mediaType: string; size: number; digest: string }[];
    fromRepository?: string;
  };
  request?: { id: string; addr: string; host: string; method: string; useragent: string };
  actor?: { name?: string };
  source?: { addr: string; instanceID: string };
}

export interface RecordedNotification {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Parsed events; empty when the body was not the expected envelope. */
  events: RegistryNotificationEvent[];
  /** Status this recorder answered with. */
  status: number;
}

export interface NotificationRecorder {
  /** `http://127.0.0.1:<port>/hooks/registry` */
  url: string;
  requests: RecordedNotification[];
  /** All events in arrival order (retries included; dedupe by `id` if needed). */
  events(): RegistryNotificationEvent[];
  /** Status for subsequent requests (default 200). */
  respondWith(status: number): void;
  /** Polls until `predicate(events())` holds; throws with what arrived on timeout. */
  waitFor(
    predicate: (events: RegistryNotificationEvent[]) => boolean,
    timeoutMs?: number,
  ): Promise<RegistryNotificationEvent[]>;
  /** Resolves with the first event matching `match`. */
  waitForEvent(
    match: (event: RegistryNotificationEvent) => boolean,
    timeoutMs?: number,
  ): Promise<RegistryNotificationEvent>;
  close(): Promise<void>;
}

export async function startNotificationRecorder(path = '/hooks/registry'): Promise<NotificationRecorder> {
  const requests: RecordedNotification[] = [];
  let status = 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        events: parseEvents(body),
        status,
      });
      res.writeHead(status, { 'content-length': '0' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const events = () => requests.flatMap((r) => r.events);

  const waitFor = async (predicate: (all: RegistryNotificationEvent[]) => boolean, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const all = events();
      if (predicate(all)) return all;
      if (Date.now() > deadline) {
        const summary = all.map(
          (e) =>
            `${e.action} ${e.target.mediaType ?? '-'} ${e.target.digest ?? '-'} tag=${e.target.tag ?? '-'}`,
        );
        throw new Error(`notifications did not arrive within ${timeoutMs} ms; got:\n${summary.join('\n')}`);
      }
      await sleep(20);
    }
  };

  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    events,
    respondWith: (next) => {
      status = next;
    },
    waitFor,
    async waitForEvent(match, timeoutMs) {
      const all = await waitFor((list) => list.some(match), timeoutMs);
      return all.find(match)!;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseEvents(body: string): RegistryNotificationEvent[] {
  try {
    const doc = JSON.parse(body) as { events?: unknown };
    return Array.isArray(doc.events) ? (doc.events as RegistryNotificationEvent[]) : [];
  } catch {
    return [];
  }
}
