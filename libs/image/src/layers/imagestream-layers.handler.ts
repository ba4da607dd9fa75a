import { ApiError, refOf } from '@app/api-machinery';
import type { Database, ResourceHandler } from '@app/persistence';
import type { Image } from '../image/image.types';
import { IMAGE_GROUP, imageStreamLayersInfo, imageStreamsInfo } from '../resources/resource-infos';
import type { StreamTagStore } from '../tag-views/stream-tag-store';
import { buildImageStreamLayers, childManifests, validateImageStreamLayers } from './imagestream-layers';

/** How deep manifest lists may nest (an index of indexes is already unusual). */
const maxListDepth = 4;

/** `GET imagestreams/{name}/layers`: the blobs and images reachable through a stream. */
export class ImageStreamLayersHandler implements ResourceHandler {
  readonly info = imageStreamLayersInfo;

  constructor(
    private readonly db: Database,
    private readonly tags: StreamTagStore,
  ) {}

  async get(namespace: string, name: string): Promise<object> {
    const stream = await this.tags.stream(this.db, namespace, name);
    if (!stream) throw ApiError.notFound(refOf(imageStreamsInfo), name);
    const roots = await this.tags.queries.historyImages(this.db, stream.metadata.uid!);
    const images = new Map<string, Image>();
    let wanted = roots;
    for (let depth = 0; wanted.length && depth < maxListDepth; depth++) {
      const loaded = await this.tags.queries.imagesByName(this.db, wanted);
      loaded.forEach((image, key) => images.set(key, image));
      wanted = [...new Set([...loaded.values()].flatMap((image) => childManifests(image)))].filter((n) => !images.has(n));
    }
    const view = buildImageStreamLayers(stream.metadata, roots, images);
    // Upstream validates the view before answering; its error names the internal object's unset
    // kind, so the message reads `.image.openshift.io "" is invalid: …`.
    const errors = validateImageStreamLayers(view);
    if (errors.length) throw ApiError.invalid({ group: IMAGE_GROUP, resource: 'imagestreams', kind: '' }, '', errors);
    return view;
  }
}
