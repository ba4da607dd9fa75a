import { type FieldError, fieldErr } from './field-errors';
import { validateQualifiedName } from './name-validation';

interface OwnerReferenceInput {
  apiVersion?: unknown;
  kind?: unknown;
  name?: unknown;
  uid?: unknown;
  controller?: unknown;
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** apimachinery's ValidateOwnerReferences: required parts of each reference, no banned owner kind, at most one controller. */
export function validateOwnerReferences(refs: unknown, field = 'metadata.ownerReferences'): FieldError[] {
  if (refs === undefined || refs === null) return [];
  if (!Array.isArray(refs)) return [fieldErr.invalid(field, refs, 'must be a list of owner references')];
  const errors: FieldError[] = [];
  let firstController = '';
  for (const ref of refs as OwnerReferenceInput[]) {
    const apiVersion = text(ref?.apiVersion);
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (!version) errors.push(fieldErr.invalid(`${field}.apiVersion`, apiVersion, 'version must not be empty'));
    if (!text(ref?.kind)) errors.push(fieldErr.invalid(`${field}.kind`, text(ref?.kind), 'kind must not be empty'));
    if (!text(ref?.name)) errors.push(fieldErr.invalid(`${field}.name`, text(ref?.name), 'name must not be empty'));
    if (!text(ref?.uid)) errors.push(fieldErr.invalid(`${field}.uid`, text(ref?.uid), 'uid must not be empty'));
    // apimachinery's BannedOwners: a core v1 Event may own nothing.
    if (apiVersion === 'v1' && text(ref?.kind) === 'Event') errors.push(fieldErr.invalid(field, ref, '/v1, Kind=Event is disallowed from being an owner'));
    if (ref?.controller === true) {
      const current = `${text(ref.kind)}/${text(ref.name)}`;
      if (firstController) {
        errors.push(
          fieldErr.invalid(field, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errors;
}

const orphan = 'orphan';
const foregroundDeletion = 'foregroundDeletion';

/** Finalizers core validation accepts without a domain (pkg/apis/core/helper IsStandardFinalizerName). */
const standardFinalizers = new Set(['kubernetes', orphan, foregroundDeletion]);

/**
 * The core group's ValidateObjectMeta (which openshift-apiserver's image validation calls too):
 * apimachinery's ValidateFinalizers — qualified names, orphan and foregroundDeletion exclude each
 * other — then validateKubeFinalizerName on each entry: a name without '/' must be a standard one.
 */
export function validateFinalizers(finalizers: unknown, field = 'metadata.finalizers'): FieldError[] {
  if (finalizers === undefined || finalizers === null) return [];
  if (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string')) {
    return [fieldErr.invalid(field, finalizers, 'must be a list of strings')];
  }
  const names = finalizers as string[];
  const errors = names.flatMap((f) => validateQualifiedName(f, field));
  if (names.includes(orphan) && names.includes(foregroundDeletion)) {
    errors.push(fieldErr.invalid(field, names, `finalizer ${orphan} and ${foregroundDeletion} cannot be both set`));
  }
  names.forEach((name, i) => {
    if (!name.includes('/') && !standardFinalizers.has(name)) {
      errors.push(fieldErr.invalid(`${field}[${i}]`, name, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errors;
}
