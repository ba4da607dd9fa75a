import { RegistryError } from './registry-errors';

/** Malformed JSON, or a document that does not have the shape its media type promises. */
export class ManifestInvalidError extends RegistryError {
  readonly retryable = false;
}

/** A well-formed manifest this project deliberately does not convert (schema1, nested index, ...). */
export class UnsupportedManifestError extends RegistryError {
  readonly retryable = false;

  constructor(
    message: string,
    readonly mediaType: string,
  ) {
    super(message);
  }
}

/** Content does not hash to the digest it was addressed by (or announced with). */
export class DigestMismatchError extends RegistryError {
  readonly retryable = false;

  constructor(
    readonly expected: string,
    readonly actual: string,
    what = 'content',
  ) {
    super(`${what} digest mismatch: expected ${expected}, got ${actual}`);
  }
}
