import type { Readable } from 'node:stream';
import { isRecord } from './json-shape';
import { RegistryProtocolError } from './registry-errors';

/** Reads a response body into memory, refusing more than `maxBytes` (manifests and configs are small). */
export async function readLimitedBody(body: Readable, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      body.destroy();
      throw new RegistryProtocolError(`${what} is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Reads (a bounded prefix of) an error body and discards the rest, so the socket can be reused. */
export async function readErrorBody(body: Readable): Promise<Buffer> {
  try {
    return await readLimitedBody(body, 64 * 1024, 'error body');
  } catch {
    return Buffer.alloc(0);
  }
}

export interface RegistryErrorDetail {
  code?: string;
  message?: string;
}

/** First entry of the v2 error envelope `{"errors":[{"code","message","detail"}]}`, if any. */
export function registryErrorDetail(body: Buffer): RegistryErrorDetail {
  try {
    const doc: unknown = JSON.parse(body.toString('utf8'));
    const first: unknown = isRecord(doc) && Array.isArray(doc['errors']) ? doc['errors'][0] : undefined;
    if (!isRecord(first)) return {};
    const detail: RegistryErrorDetail = {};
    if (typeof first['code'] === 'string') detail.code = first['code'];
    if (typeof first['message'] === 'string') detail.message = first['message'];
    return detail;
  } catch {
    return {};
  }
}
