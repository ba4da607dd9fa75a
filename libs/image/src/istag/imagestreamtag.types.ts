import type { ApiObject } from '@app/api-machinery';
import type { Image } from '../image/image.types';
import type { TagEventCondition, TagReference } from '../imagestream/imagestream.types';

/**
 * The image part of a stream-tag view: the full Image on GET; in lists (and before a tag has an
 * image) only its name, pull spec (omitted when empty) and the wire defaults.
 */
export type ImageStreamTagImage = Image | (Omit<Image, 'dockerImageReference'> & { dockerImageReference?: string });

/** image.openshift.io/v1 ImageStreamTag: one tag of a stream with the image it points at. */
export interface ImageStreamTag extends ApiObject {
  tag: TagReference | null;
  generation: number;
  lookupPolicy: { local: boolean };
  conditions?: TagEventCondition[];
  image: ImageStreamTagImage;
}
