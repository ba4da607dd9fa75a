import type { ApiObject } from '@app/api-machinery';
import type { Image } from '../image/image.types';
import type { TagEventCondition, TagReference } from '../imagestream/imagestream.types';

/** The image part of a stream-tag view: the full Image on GET, name + pull spec in lists. */
/** Without a stored Image: just its name and pull spec (the Go type omits an empty reference). */
export type ImageStreamTagImage = Image | { metadata: { name?: string }; dockerImageReference?: string };

/** image.openshift.io/v1 ImageStreamTag: one tag of a stream with the image it points at. */
export interface ImageStreamTag extends ApiObject {
  tag: TagReference | null;
  generation: number;
  lookupPolicy: { local: boolean };
  conditions?: TagEventCondition[];
  image: ImageStreamTagImage;
}
