import { type ApiObject, ApiError, refOf } from '@app/api-machinery';
import type { Database, ResourceHandler } from '@app/persistence';
import type { Image } from '../image/image.types';
import { digestOrImageMatch } from '../reference/docker-reference';
import { IMAGE_GROUP, imageStreamImagesInfo } from '../resources/resource-infos';
import type { TagHistoryRepository } from '../tag-history/tag-history.repository';
import { imageForView } from '../tag-views/image-output';
import { parseStreamImageName } from '../tag-views/stream-tag-names';
import type { StreamTagStore } from '../tag-views/stream-tag-store';

/** image.openshift.io/v1 ImageStreamImage: an Image looked up through a stream. */
export interface ImageStreamImage extends ApiObject {
  image: Image;
}

/** The images of a stream's layers view that `id` names (full name, digest hex or a prefix of either). */
export function matchingImages(candidates: string[], id: string): string[] {
  return [...new Set(candidates.filter((name) => digestOrImageMatch(name, id)))].sort();
}

/**
 * `GET imagestreamimages/<stream>@<id>` (openshift-apiserver registry/imagestreamimage): finds
 * the image among those in the stream's history and the children of its manifest lists. An
 * unknown id is 404 (`imagestreamimage "<stream>@<id>"`, singular as upstream), a missing stream
 * or Image 404 of `imagestreamimages` named after it. A prefix that matches several images is
 * not an error: upstream answers whichever match its map iteration ends on; here the first match
 * (by name) whose Image exists, so the answer is one upstream could give, and always the same.
 */
export class ImageStreamImageHandler implements ResourceHandler {
  readonly info = imageStreamImagesInfo;

  constructor(
    private readonly db: Database,
    private readonly tags: StreamTagStore,
    private readonly history: TagHistoryRepository,
  ) {}

  async get(namespace: string, name: string): Promise<ImageStreamImage> {
    const { stream: streamName, id } = parseStreamImageName(name);
    // Upstream reads the stream and the Image through stores that name the requested resource
    // (imagestreamimages) in their NotFound answers, with the stream's or the image's name.
    const viewRef = refOf(this.info);
    const stream = await this.tags.stream(this.db, namespace, streamName);
    if (!stream) throw ApiError.notFound(viewRef, streamName);
    const uid = stream.metadata.uid!;
    const [inHistory, children] = await Promise.all([
      this.history.imagesMatching(this.db, uid, id),
      this.tags.queries.historyChildManifests(this.db, uid),
    ]);
    const matches = matchingImages([...inHistory, ...children], id);
    const singular = { group: IMAGE_GROUP, resource: 'imagestreamimage' };
    if (matches.length === 0) throw ApiError.notFound(singular, name);
    let image: Image | null = null;
    for (const match of matches) {
      image = await this.tags.image(this.db, match);
      if (image) break;
    }
    if (!image) throw ApiError.notFound(viewRef, matches[0]!);
    const annotations = stream.metadata.annotations;
    return {
      kind: 'ImageStreamImage',
      apiVersion: 'image.openshift.io/v1',
      metadata: {
        name,
        namespace,
        creationTimestamp: image.metadata.creationTimestamp,
        ...(annotations && Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
      },
      image: imageForView(image),
    };
  }
}
