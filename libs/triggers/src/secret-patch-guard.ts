import { type FieldError, fieldErr, type PatchType } from '@app/api-machinery';

/** Does a JSON pointer name `data` or something inside it (the root holds it too)? */
function reachesData(pointer: unknown): boolean {
  return typeof pointer === 'string' && (pointer === '' || pointer === '/data' || pointer.startsWith('/data/'));
}

/**
 * A JSON patch is applied to the stored TriggerSecret, keys included, so `copy` or `move` from
 * `data` would place a key where reads (or the 422 echoing an invalid value) show it, and a
 * `test` of it would confirm a guessed key. Those operations are refused; writing keys (`add`,
 * `replace`, `remove` under `data`) stays allowed, since it reveals nothing.
 */
export function secretPatchProblems(type: PatchType, patch: unknown): FieldError[] {
  if (type !== 'json' || !Array.isArray(patch)) return [];
  const problems: FieldError[] = [];
  patch.forEach((op: unknown, i) => {
    if (typeof op !== 'object' || op === null) return;
    const { op: name, from, path } = op as { op?: unknown; from?: unknown; path?: unknown };
    if ((name === 'copy' || name === 'move') && reachesData(from)) {
      problems.push(fieldErr.forbidden(`[${i}].from`, 'data is write-only: a patch may not copy or move the signing keys'));
    } else if (name === 'test' && reachesData(path)) {
      problems.push(fieldErr.forbidden(`[${i}].path`, 'data is write-only: a patch may not test the signing keys'));
    }
  });
  return problems;
}
