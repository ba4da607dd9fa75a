import { ApiError } from './api-error';

/** Opaque list continuation: the snapshot resourceVersion and the last key returned. */
export interface ContinueToken {
  /** Membership: objects created at or below this version. */
  rv: string;
  /** The resourceVersion the first page reported. */
  listRv?: string;
  namespace: string;
  name: string;
  /** The list is resourceVersionMatch=Exact: every page shows the objects as they were at `rv`. */
  exact?: boolean;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 1, ...token })).toString('base64url');
}

export function decodeContinue(raw: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<ContinueToken> & { v?: number };
    if (parsed.v === 1 && typeof parsed.rv === 'string' && /^\d+$/.test(parsed.rv) && typeof parsed.name === 'string' && typeof parsed.namespace === 'string') {
      const listRv = typeof parsed.listRv === 'string' && /^\d+$/.test(parsed.listRv) ? parsed.listRv : undefined;
      return { rv: parsed.rv, ...(listRv ? { listRv } : {}), namespace: parsed.namespace, name: parsed.name, ...(parsed.exact === true ? { exact: true } : {}) };
    }
  } catch {
    // fall through to the uniform error below
  }
  throw ApiError.badRequest('continue key is not valid: invalid continue token');
}

export const continueTooOldMessage =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';
