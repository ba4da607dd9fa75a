import type { ApiObject } from '@app/api-machinery';
import type { Image } from '../image/image.types';
import type { NamedTagEventList, TagReference } from '../imagestream/imagestream.types';

/** image.openshift.io/v1 ImageTag: a stream tag's spec, status (history) and current image. */
export interface ImageTag extends ApiObject {
  spec: TagReference | null;
  status: NamedTagEventList | null;
  image: Image | null;
}
