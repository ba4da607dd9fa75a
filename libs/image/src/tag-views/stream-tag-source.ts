import type { Image } from '../image/image.types';
import type { ImageStream, TagEvent, TagEventCondition } from '../imagestream/imagestream.types';

/** What a stream-tag view is built from: the stored stream and the tag's state beside it. */
export interface StreamTagSource {
  stream: ImageStream;
  tag: string;
  /** The tag's newest history entry, if any. */
  event?: TagEvent;
  /** The tag's whole history, newest first (ImageTag only). */
  history?: TagEvent[];
  conditions?: TagEventCondition[];
  /**
   * Whether status names the tag although it has neither history nor conditions (a `/status`
   * write can store such a tag; ImageTag shows it).
   */
  inStatus?: boolean;
  /** The Image of the newest entry when it was loaded (GET); undefined in lists. */
  image?: Image | null;
  /** The stream's status.dockerImageRepository (for referencePolicy Local). */
  repository: string;
}
