/**
 * ObjectMeta as Go decodes a request's: a null field is the zero value (absent), and an empty
 * labels/annotations map or finalizers/ownerReferences list is not written (omitempty).
 */
export function omitEmptyMetadata(meta: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(meta)) if (value === null) delete meta[key];
  for (const key of ['labels', 'annotations', 'finalizers', 'ownerReferences']) {
    const v = meta[key];
    const empty = Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0;
    if (empty) delete meta[key];
  }
}
