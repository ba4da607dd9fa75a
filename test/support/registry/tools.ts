import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Path of `command` on PATH, or null. */
export function which(command: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Why registry integration tests cannot run here, or null when they can. Synchronous: usable in describe(). */
export function registryUnavailableReason(): string | null {
  const missing = ['docker-registry', 'skopeo'].filter((c) => which(c) === null);
  return missing.length === 0
    ? null
    : `${missing.join(' and ')} not on PATH (apt-get install docker-registry skopeo)`;
}

/** True when `docker-registry` and `skopeo` are both installed. */
export function registryAvailable(): boolean {
  return registryUnavailableReason() === null;
}

/**
 * `describe` when docker-registry and skopeo are installed, else `describe.skip`, saying why on
 * the console (CI installs both; a developer machine may not have them).
 */
export function describeWithRegistry(title: string, body: () => void): void {
  const reason = registryUnavailableReason();
  if (reason) console.warn(`${title}: skipped: ${reason}`);
  (reason ? describe.skip : describe)(title, body);
}
