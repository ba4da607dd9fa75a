import type { ObjectMeta } from '@app/api-machinery';
import type { TagEvent } from '../imagestream/imagestream.types';
import { emptyImageForView, imageForView } from '../tag-views/image-output';
import { resolveReferenceForTagEvent } from '../tag-views/resolve-reference';
import { specTagForView } from '../tag-views/spec-tags';
import type { StreamTagSource } from '../tag-views/stream-tag-source';
import type { ImageStreamTag, ImageStreamTagImage } from './imagestreamtag.types';

/**
 * Builds an ImageStreamTag from a stream and one tag (openshift-apiserver imagestreamtag
 * newISTag). Without an image-bearing history entry it is null unless `allowEmpty` (writes
 * answer with an empty image, dated by the stream's creation). uid and resourceVersion are
 * the stream's; annotations are the spec tag's and are merged into the image's.
 */
export function imageStreamTagView(src: StreamTagSource, allowEmpty: boolean): ImageStreamTag | null {
  const { stream, tag } = src;
  const hasImage = Boolean(src.event?.image);
  if (!hasImage && !allowEmpty) return null;
  const event: TagEvent = hasImage
    ? src.event!
    : { created: stream.metadata.creationTimestamp ?? '', dockerImageReference: '', image: '', generation: 0 };
  const specTag = stream.spec?.tags?.find((t) => t.name === tag);
  const annotations = specTag?.annotations && Object.keys(specTag.annotations).length ? { ...specTag.annotations } : undefined;
  const m = stream.metadata;
  const metadata: ObjectMeta = {
    name: `${m.name}:${tag}`,
    namespace: m.namespace,
    uid: m.uid,
    resourceVersion: m.resourceVersion,
    creationTimestamp: event.created,
    ...(m.labels && Object.keys(m.labels).length ? { labels: { ...m.labels } } : {}),
    ...(annotations ? { annotations } : {}),
  };
  const reference = resolveReferenceForTagEvent(stream, tag, event, src.repository);
  let image: ImageStreamTagImage;
  if (src.image) image = { ...imageForView(src.image, annotations), dockerImageReference: reference };
  else image = emptyImageForView(event.image, reference);
  return {
    kind: 'ImageStreamTag',
    apiVersion: 'image.openshift.io/v1',
    metadata,
    tag: specTag ? specTagForView(specTag) : null,
    generation: event.generation,
    lookupPolicy: { local: stream.spec?.lookupPolicy?.local === true },
    ...(src.conditions?.length ? { conditions: src.conditions } : {}),
    image,
  };
}
