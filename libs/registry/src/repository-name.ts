import { isDigest } from './digest';
import { InvalidReferenceError } from './registry-errors';

// distribution/reference grammar; validated before use so a name can never escape the URL path.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;

export function assertRepository(repository: string): void {
  if (repository.length > 255 || !REPOSITORY.test(repository)) {
    throw new InvalidReferenceError(`invalid repository name ${JSON.stringify(repository)}`);
  }
}

/** A manifest reference is a tag or a digest. */
export function assertReference(reference: string): void {
  if (!TAG.test(reference) && !isDigest(reference)) {
    throw new InvalidReferenceError(`invalid tag or digest ${JSON.stringify(reference)}`);
  }
}

export function assertDigestReference(digest: string): void {
  if (!isDigest(digest)) throw new InvalidReferenceError(`invalid digest ${JSON.stringify(digest)}`);
}
