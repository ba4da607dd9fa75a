import type { NamedTagEventList } from '../imagestream/imagestream.types';
import { imageForView } from '../tag-views/image-output';
import { resolveReferenceForTagEvent } from '../tag-views/resolve-reference';
import { specTagForView } from '../tag-views/spec-tags';
import { viewMetaOf } from '../tag-views/view-meta';
import type { StreamTagSource } from '../tag-views/stream-tag-source';
import type { ImageTag } from './imagetag.types';

/**
 * Builds an ImageTag (openshift-apiserver imagetag newITag): the stream's metadata under the
 * tag's name, the spec tag, the status history and, when loaded, the current Image. A tag that
 * is neither in spec nor in status is null unless `allowEmpty`.
 */
export function imageTagView(src: StreamTagSource, allowEmpty: boolean): ImageTag | null {
  const { stream, tag } = src;
  const specTag = stream.spec?.tags?.find((t) => t.name === tag);
  const history = src.history ?? (src.event ? [src.event] : []);
  const status: NamedTagEventList | null =
    history.length || src.conditions?.length || src.inStatus
      ? { tag, items: history.length ? history : null, ...(src.conditions?.length ? { conditions: src.conditions } : {}) }
      : null;
  if (!specTag && !status && !allowEmpty) return null;
  const image = src.image
    ? { ...imageForView(src.image), dockerImageReference: resolveReferenceForTagEvent(stream, tag, history[0], src.repository) }
    : null;
  return {
    kind: 'ImageTag',
    apiVersion: 'image.openshift.io/v1',
    metadata: viewMetaOf(stream.metadata, `${stream.metadata.name}:${tag}`),
    spec: specTag ? specTagForView(specTag) : null,
    status,
    image,
  };
}
