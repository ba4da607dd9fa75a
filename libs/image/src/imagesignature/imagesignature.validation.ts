import { type FieldError, fieldErr, validateEmbeddedObjectMeta } from '@app/api-machinery';
import type { ImageSignature, SignatureCondition } from '../image/image.types';

/** `<imageName>@<signatureName>`: exactly one `@`, both parts non-empty; null otherwise. */
export function splitImageSignatureName(name: string): { image: string; signature: string } | null {
  const parts = name.split('@');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return null;
  return { image: parts[0], signature: parts[1] };
}

/** The newest condition of a type (by lastProbeTime; later entries win ties). */
function newest(conditions: SignatureCondition[], type: string): SignatureCondition | undefined {
  let found: SignatureCondition | undefined;
  for (const c of conditions) {
    if (c.type !== type) continue;
    if (!found || !((c.lastProbeTime ?? '') < (found.lastProbeTime ?? ''))) found = c;
  }
  return found;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  return typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;
}

/**
 * ImageSignature rules (openshift validation.go validateImageSignature); `path` is '' for the
 * imagesignatures resource or e.g. `signatures[0]` inside an Image. Trusted and ForImage
 * conditions come together; until a signature is trusted it carries no verified claims.
 */
export function validateImageSignature(signature: ImageSignature, path = ''): FieldError[] {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  const errors: FieldError[] = [];
  const meta = signature.metadata ?? {};
  const name = meta.name ?? '';
  // A signature is validated as a cluster-scoped object, namespace and all (upstream validateImageSignature).
  errors.push(...validateEmbeddedObjectMeta(meta, at('metadata'), false));
  if (meta.labels && Object.keys(meta.labels).length) errors.push(fieldErr.forbidden(at('metadata.labels'), 'signature labels cannot be set'));
  if (meta.annotations && Object.keys(meta.annotations).length) {
    errors.push(fieldErr.forbidden(at('metadata.annotations'), 'signature annotations cannot be set'));
  }
  if (!splitImageSignatureName(name)) errors.push(fieldErr.invalid(at('metadata.name'), name, 'name must be of format <imageName>@<signatureName>'));
  if (!signature.type) errors.push(fieldErr.required(at('type')));
  if (!signature.content) errors.push(fieldErr.required(at('content')));

  const conditions = Array.isArray(signature.conditions) ? signature.conditions : [];
  const trusted = newest(conditions, 'Trusted');
  const forImage = newest(conditions, 'ForImage');
  if (trusted && !forImage) errors.push(fieldErr.invalid(at('conditions'), conditions, 'missing "ForImage" condition type'));
  else if (forImage && !trusted) errors.push(fieldErr.invalid(at('conditions'), conditions, 'missing "Trusted" condition type'));
  if (!trusted || trusted.status === 'Unknown') {
    for (const field of ['imageIdentity', 'signedClaims', 'issuedBy', 'issuedTo'] as const) {
      if (!isEmpty(signature[field])) errors.push(fieldErr.invalid(at(field), signature[field], 'must be unset for unknown signature state'));
    }
  }
  return errors;
}
