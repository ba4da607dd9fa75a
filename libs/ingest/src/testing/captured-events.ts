import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Notification bodies captured byte for byte from Debian's docker-registry 2.8.2 driven by skopeo
 * 1.9.3 (../shared/reference/registry/events/): one event per envelope, 3-space indentation.
 */
export const capturedEventNames = [
  'push-blob',
  'push-manifest',
  'push-manifest-docker-v2',
  'push-manifest-token-auth',
  'push-index',
  'push-index-child-manifest',
  'push-manifest-list-docker',
  'pull-manifest',
  'pull-manifest-head',
  'pull-manifest-by-digest',
  'pull-manifest-token-auth',
  'pull-index',
  'pull-blob',
  'pull-blob-head-during-push',
  'mount-blob',
  'delete-manifest',
  'delete-manifest-token-auth',
  'delete-tag',
  'delete-blob',
] as const;
export type CapturedEventName = (typeof capturedEventNames)[number];

export function capturedEnvelope(name: CapturedEventName): Buffer {
  return readFileSync(join(__dirname, 'captured-events', `${name}.json`));
}
