import type { ImageStream, TagEvent } from '../imagestream/imagestream.types';
import { exactReference, parseDockerImageReference, ReferenceError } from '../reference/docker-reference';

/**
 * The pull spec handed out for a tag's event (library-go ResolveReferenceForTagEvent): with
 * `referencePolicy.type: Local`, a stream repository and an image digest it is
 * `<repository>@<digest>` (pull through the integrated registry); otherwise the event's own
 * reference. Tags without a spec tag always use the event's reference.
 */
export function resolveReferenceForTagEvent(stream: ImageStream, tag: string, event: TagEvent | undefined, repository: string): string {
  if (!event) return '';
  const spec = stream.spec?.tags?.find((t) => t.name === tag);
  if (!spec || spec.referencePolicy?.type !== 'Local') return event.dockerImageReference;
  if (!repository || !event.image) return event.dockerImageReference;
  try {
    const ref = parseDockerImageReference(repository);
    return exactReference({ ...ref, tag: '', id: event.image });
  } catch (e) {
    if (e instanceof ReferenceError) return event.dockerImageReference;
    throw e;
  }
}
