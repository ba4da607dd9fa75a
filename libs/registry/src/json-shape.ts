/**
 * Small guards for reading untrusted JSON without `any`. Each reader returns the typed value or
 * throws the caller-supplied error factory's error with the offending path.
 */
export type JsonRecord = Record<string, unknown>;
export type Fail = (message: string) => Error;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readRecord(value: unknown, path: string, fail: Fail): JsonRecord {
  if (!isRecord(value)) throw fail(`${path} must be an object`);
  return value;
}

export function readString(value: unknown, path: string, fail: Fail): string {
  if (typeof value !== 'string') throw fail(`${path} must be a string`);
  return value;
}

export function readOptionalString(value: unknown, path: string, fail: Fail): string | undefined {
  return value === undefined || value === null ? undefined : readString(value, path, fail);
}

/** Non-negative safe integer (sizes are int64 upstream; beyond 2^53 they cannot be real blobs here). */
export function readSize(value: unknown, path: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw fail(`${path} must be a non-negative integer`);
  }
  return value;
}

export function readArray(value: unknown, path: string, fail: Fail): unknown[] {
  if (!Array.isArray(value)) throw fail(`${path} must be an array`);
  return value;
}

export function readOptionalStringArray(value: unknown, path: string, fail: Fail): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return readArray(value, path, fail).map((item, i) => readString(item, `${path}[${i}]`, fail));
}

export function readOptionalStringMap(
  value: unknown,
  path: string,
  fail: Fail,
): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  const record = readRecord(value, path, fail);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(record)) out[key] = readString(item, `${path}.${key}`, fail);
  return out;
}

/** JSON.parse that reports failures through `fail` instead of a SyntaxError. */
export function parseJson(raw: Buffer | string, what: string, fail: Fail): unknown {
  try {
    return JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')) as unknown;
  } catch (err) {
    throw fail(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}
