/** What a process started with an IPC channel tells its parent once a server of it listens. */
export interface ListeningAnnouncement {
  kind: 'listening';
  /** `api` (the API port) or `worker-metrics` (a worker's /metrics and /livez). */
  server: 'api' | 'worker-metrics';
  /** Base URL on the loopback address, with the port the OS bound (PORT=0 leaves it to the OS). */
  url: string;
}

/**
 * Tells a parent process that holds an IPC channel to this one (a test harness, a process manager
 * started with `stdio: [..., 'ipc']`) where a server listens. A parent that picks a free port and
 * hands it over races every other process on the machine for it, and a health check can then reach
 * someone else's server; with PORT=0 and this message the port is the one this process holds. A
 * process started without IPC (every deployment) sends nothing.
 */
export function announceListening(server: ListeningAnnouncement['server'], url: string): void {
  if (!process.send || !process.connected) return;
  const announcement: ListeningAnnouncement = { kind: 'listening', server, url };
  // A parent that closed the channel meanwhile is no fault of this process: the error is dropped
  // (without a callback it would be emitted on `process`, with no listener there).
  process.send(announcement, undefined, undefined, () => undefined);
}
