import { type FieldError, fieldErr, fieldErrorString } from '@app/api-machinery';
import type { TagReference } from './imagestream.types';

export const TAG_SOURCE_FORM = 'must be of the form <tag>, <repo>:<tag>, <id>, or <repo>@<id>';

/**
 * Upstream's stream strategy checks spec tag sources (tag verifier, tag resolution) apart from
 * field validation and hands their errors back as one cause: an Invalid error of the bare
 * resource `imagestreams` wrapped in an InternalError at the empty path, which apimachinery
 * prints as `[]`. The whole 422 then reads `ImageStream.image.openshift.io "<n>" is invalid: []:
 * Internal error: imagestreams "<n>" is invalid: <errors>`.
 */
export function tagSourceFailure(streamName: string, errors: FieldError[]): FieldError {
  const summary = errors.length === 1 ? fieldErrorString(errors[0]!) : `[${errors.map(fieldErrorString).join(', ')}]`;
  return { type: 'InternalError', field: '[]', detail: `imagestreams ${JSON.stringify(streamName)} is invalid: ${summary}` };
}

/**
 * Sources that cannot name a stream tag or image (upstream parseFromReference, run on new or
 * changed spec tags before they are resolved): a kind other than ImageStreamTag/ImageStreamImage
 * (a DockerImage with an empty name included), or more than one of the kind's separator.
 */
export function tagSourceFormErrors(tags: TagReference[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const tag of tags) {
    const from = tag.from;
    if (!from || (from.kind === 'DockerImage' && from.name)) continue;
    const name = from.name ?? '';
    const separator = from.kind === 'ImageStreamTag' ? ':' : from.kind === 'ImageStreamImage' ? '@' : null;
    if (separator === null || name.split(separator).length > 2) errors.push(fieldErr.invalid(`spec.tags[${tag.name}].from.name`, name, TAG_SOURCE_FORM));
  }
  return errors;
}
