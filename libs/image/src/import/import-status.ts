import {
  InvalidReferenceError,
  ListEntryImportError,
  RegistryAuthError,
  RegistryCredentialsRequiredError,
  RegistryError,
  RegistryNotFoundError,
  RegistryTokenRefusedError,
} from '@app/registry';
import { exactReference, parseDockerImageReferenceOrNull } from '../reference/docker-reference';
import type { TagEventCondition } from '../imagestream/imagestream.types';
import type { ImageImportStatus, ImageStreamImport, ImportResultStatus } from './imagestreamimport.types';

const GROUP = 'image.openshift.io';

export const successResult = (): ImportResultStatus => ({ metadata: {}, status: 'Success' });

/** An import that did not finish in its time budget. */
export class ImportTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`the import did not finish within ${ms / 1000}s`);
    this.name = 'ImportTimeoutError';
  }
}

/** An error upstream's importer reports as it is (NewInternalError), without the reference before it. */
export class UnprefixedImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnprefixedImportError';
  }
}

/**
 * A repository import of a registry alone (`127.0.0.1:5000`): upstream's retriever cannot name the
 * empty repository (reference.WithName: invalid reference format) and formatPingError makes that
 * a field error, answered as NewInvalid(image.Kind(""), "repository", ...).
 */
export function unnamedRepositoryFailure(): ImportResultStatus {
  const cause = 'Invalid value: "": the provided repository name is not valid';
  return {
    metadata: {},
    status: 'Failure',
    message: `.${GROUP} "repository" is invalid: from.name: ${cause}`,
    reason: 'Invalid',
    details: { name: 'repository', group: GROUP, causes: [{ reason: 'FieldValueInvalid', message: cause, field: 'from.name' }] },
    code: 422,
  };
}

/**
 * The per-image Status of a failed import, with the reasons and messages of openshift's importer
 * (formatRepositoryError): NotFound (`dockerimage.image.openshift.io "<ref>" not found`) for
 * MANIFEST_UNKNOWN, Unauthorized (`you may not have access to the container image "<ref>"`) for
 * UNAUTHORIZED or missing credentials, Invalid for unusable names, InternalError otherwise (with
 * the error as its one cause, as apimachinery's NewInternalError).
 */
export function importFailure(ref: string, err: unknown): ImportResultStatus {
  if (err instanceof ListEntryImportError) {
    // PreserveOriginal: the entry that failed is named by its digest in the same repository.
    const parsed = parseDockerImageReferenceOrNull(ref);
    return importFailure(parsed ? exactReference({ ...parsed, tag: '', id: err.digest }) : ref, err.cause);
  }
  const failure = (code: number, reason: string, message: string, details?: ImportResultStatus['details']): ImportResultStatus => ({
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });
  const notFound = () => failure(404, 'NotFound', `dockerimage.${GROUP} "${ref}" not found`, { name: ref, group: GROUP, kind: 'dockerimage' });
  const unauthorized = () => failure(401, 'Unauthorized', `you may not have access to the container image "${ref}"`);
  // apimachinery NewInternalError over the importer's "<ref>: <error>" (formatRepositoryError).
  const internal = (what: string, prefixed = true) => {
    const message = prefixed ? `${ref}: ${what}` : what;
    return failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  };
  if (err instanceof UnprefixedImportError) return internal(err.message, false);
  const answer = err instanceof RegistryError ? err.answer : undefined;
  if (answer) {
    // The registry's error codes decide, as upstream's isDockerError: a missing manifest (a missing
    // repository when listing tags) is NotFound, UNAUTHORIZED is Unauthorized, anything else
    // (DENIED, TOOMANYREQUESTS, NAME_UNKNOWN for a manifest, 5xx...) an InternalError with the
    // text distribution's client gives it. A missing blob (the config) is distribution's ErrBlobUnknown.
    if (answer.subject === 'blob' && answer.statusCode === 404) return internal('unknown blob');
    if (answer.codes.includes(answer.subject === 'tags' ? 'NAME_UNKNOWN' : 'MANIFEST_UNKNOWN')) return notFound();
    if (answer.codes.includes('UNAUTHORIZED')) return unauthorized();
    return internal(answer.text);
  }
  if (err instanceof RegistryNotFoundError && err.subject !== 'blob') return notFound();
  // A refused token is Go's url.Error, which formatRepositoryError judges by its text alone: a
  // Docker Hub style "incorrect username or password" is Unauthorized with its own message
  // (rest.go's retry looks for it), anything else an InternalError quoting it.
  if (err instanceof RegistryTokenRefusedError) {
    if (err.goText.endsWith('incorrect username or password')) return failure(401, 'Unauthorized', `incorrect username or password for image "${ref}"`);
    return internal(err.goText);
  }
  // Refused before any registry answer was read: no credentials for a Basic challenge, an unusable
  // challenge or token (upstream: "no basic auth credentials" and the auth handlers' failures).
  if (err instanceof RegistryAuthError) return unauthorized();
  if (err instanceof InvalidReferenceError) {
    return failure(422, 'Invalid', `dockerimage.${GROUP} "${ref}" is invalid: ${err.message}`, { name: ref, group: GROUP, kind: 'dockerimage' });
  }
  return internal(err instanceof RegistryNotFoundError ? 'unknown blob' : err instanceof Error ? err.message : String(err));
}

/**
 * The Status of a repository import whose tags could not be listed (upstream
 * importRepositoryFromDocker): the registry's NAME_UNKNOWN and UNAUTHORIZED codes as for an
 * image, and any other error as it is, an InternalError without the reference before it
 * (formatRepositoryError serves images only); missing credentials included, as Go's url.Error.
 */
export function repositoryImportFailure(ref: string, err: unknown): ImportResultStatus {
  const answer = err instanceof RegistryError ? err.answer : undefined;
  if (answer && (answer.codes.includes('NAME_UNKNOWN') || answer.codes.includes('UNAUTHORIZED'))) return importFailure(ref, err);
  if (answer) return importFailure(ref, new UnprefixedImportError(answer.text));
  if (err instanceof RegistryCredentialsRequiredError || err instanceof RegistryTokenRefusedError) return importFailure(ref, new UnprefixedImportError(err.goText));
  if (err instanceof InvalidReferenceError || err instanceof RegistryNotFoundError || err instanceof RegistryAuthError) return importFailure(ref, err);
  return importFailure(ref, new UnprefixedImportError(err instanceof Error ? err.message : String(err)));
}

/**
 * The ImportSuccess=False condition a failed import leaves on its tag (openshift rest.go
 * checkImportFailure): reason/message of the Status, generation of the write that records it.
 */
export function importFailedCondition(status: ImportResultStatus, generation: number, now: string): TagEventCondition {
  return {
    type: 'ImportSuccess',
    status: 'False',
    lastTransitionTime: now,
    ...(status.reason ? { reason: status.reason } : {}),
    message: status.message || 'unknown error prevented import',
    generation,
  };
}

/** Same type, status, reason and message (generation and time ignored): repeating a failure changes nothing. */
export function hasSameCondition(existing: TagEventCondition[] | undefined, next: TagEventCondition): boolean {
  return (existing ?? []).some(
    (c) => c.type === next.type && c.status === next.status && c.reason === next.reason && c.message === next.message,
  );
}

/** The generation a tag's status has seen: its newest item's or its first ImportSuccess condition's. */
export function observedGeneration(topGeneration: number | undefined, conditions: TagEventCondition[] | undefined): number {
  const condition = (conditions ?? []).find((c) => c.type === 'ImportSuccess');
  return Math.max(topGeneration ?? 0, condition?.generation ?? 0);
}

/** Only the entry's own image: upstream's clearManifests leaves a list's children (`manifests`) as looked up. */
function strip(status: ImageImportStatus | undefined): void {
  if (!status?.image) return;
  delete status.image.dockerImageManifest;
  delete status.image.dockerImageConfig;
}

/** Raw manifests and configs leave the answer unless the spec entry asked for them (includeManifest). */
export function clearManifests(isi: ImageStreamImport): void {
  (isi.status?.images ?? []).forEach((status, i) => {
    if (!isi.spec.images?.[i]?.includeManifest) strip(status);
  });
  if (!isi.spec.repository?.includeManifest) (isi.status?.repository?.images ?? []).forEach(strip);
}

/** An object embedded in another has no type fields on the wire (apimachinery sets them on the top object only). */
function untyped(obj: { kind?: string; apiVersion?: string } | undefined): void {
  if (!obj) return;
  delete obj.kind;
  delete obj.apiVersion;
}

/**
 * The answer's embedded Images and ImageStream without kind/apiVersion, as upstream's conversion to
 * v1 leaves them (it copies ObjectMeta and the fields, never TypeMeta).
 */
export function untypeEmbedded(isi: ImageStreamImport): void {
  const statuses = [...(isi.status?.images ?? []), ...(isi.status?.repository?.images ?? [])];
  for (const status of statuses) {
    untyped(status.image);
    status.manifests?.forEach(untyped);
  }
  untyped(isi.status?.import);
}
