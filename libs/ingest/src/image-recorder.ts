import { ApiError, type WriteOptions } from '@app/api-machinery';
import { type Image, type ImageStreamMappingHandler, type MappingOutcome } from '@app/image';
import { type Database, ResourceRegistry, type Transaction } from '@app/persistence';
import { fetchImage, registryPushedImageAnnotations } from '@app/registry';
import type { RegistrySource } from './registry-source';
import { type StoredImage, storedImage } from './stored-image';

const GROUP = 'image.openshift.io';
const VERSION = 'v1';
const write: WriteOptions = { dryRun: false };

/** A pushed manifest, ready to record: the Image and, for a list/index, one Image per child. */
export interface PreparedImage {
  digest: string;
  image: Image;
  children: Image[];
  /** The Image was already stored: nothing was fetched, nothing needs creating. */
  existed: boolean;
}

export interface StreamRef {
  namespace: string;
  name: string;
}

const isAlreadyExists = (e: unknown) => e instanceof ApiError && e.reason === 'AlreadyExists';
const isMissingStream = (e: unknown) =>
  e instanceof ApiError && e.code === 404 && e.details?.kind === 'imagestreammappings';

/**
 * Turns pushed manifests into Images and tag moves through the image API's own paths: the images
 * store for Images (AlreadyExists is fine), ImageStreamMapping for tags (creating the stream on the
 * first push, as the integrated registry does: openshift/image-registry imagestream.go).
 */
export class ImageRecorder {
  constructor(
    private readonly db: Database,
    private readonly resources: ResourceRegistry,
    private readonly mappings: ImageStreamMappingHandler,
    private readonly source: RegistrySource,
  ) {}

  /**
   * Reads the manifest (and config, and children) from the registry unless the Image is stored
   * already (`known`: what the caller read of it, null when it is not stored; looked up when
   * absent); registry errors propagate with their `retryable` flag.
   */
  async prepare(repository: string, digest: string, known?: StoredImage | null): Promise<PreparedImage> {
    const pullSpec = this.source.pullSpec(repository);
    const stored = known === undefined ? await storedImage(this.db, digest) : known;
    if (stored) {
      // The mapping reuses the stored Image; this is what the request needs to name it, and its
      // size, as the integrated registry sends the whole image: LimitRanges admit the mapping by it.
      const image = {
        metadata: { name: digest, annotations: registryPushedImageAnnotations() },
        dockerImageReference: `${pullSpec}@${digest}`,
        ...(stored.size !== null ? { dockerImageMetadata: { Size: stored.size } } : {}),
      } as Image;
      return { digest, image, children: [], existed: true };
    }
    const fetched = await fetchImage(this.source.client(), repository, digest, {
      pullSpec,
      annotations: registryPushedImageAnnotations(),
      // The registry accepted the push: the image is recorded and tagged even when its config
      // does not decode, as openshift-apiserver does (it only logs the decode error).
      undecodableConfig: 'empty-metadata',
    });
    return { digest, image: fetched.image, children: fetched.children, existed: false };
  }

  /** Creates the Image (children first, so the list never names a missing Image). */
  async record(prepared: PreparedImage): Promise<boolean> {
    if (prepared.existed) return false;
    await this.createChildren(prepared);
    return this.createImage(prepared.image);
  }

  /**
   * Moves `tag` of the stream to the prepared image exactly as an ImageStreamMapping does: in its
   * own transaction, or inside `within` (its writes then commit with that transaction).
   */
  async mapTag(stream: StreamRef, tag: string, prepared: PreparedImage, within?: Transaction): Promise<MappingOutcome> {
    await this.createChildren(prepared);
    const body = { metadata: { name: stream.name, namespace: stream.namespace }, tag, image: structuredClone(prepared.image) };
    const map = (b: object) =>
      within ? this.mappings.mapWithin(within, stream.namespace, b, 'registry') : this.mappings.map(stream.namespace, b, write, 'registry');
    try {
      return await map(body);
    } catch (e) {
      // A missing stream is found before anything is written: the caller's transaction is intact.
      if (!isMissingStream(e)) throw e;
    }
    // First push to this repository: create the stream (a concurrent creator may win: fine), map again.
    const streams = this.resources.require(GROUP, VERSION, 'imagestreams');
    try {
      await streams.create!(stream.namespace, { metadata: { name: stream.name } }, write);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    return map({ ...body, image: structuredClone(prepared.image) });
  }

  private async createChildren(prepared: PreparedImage): Promise<void> {
    for (const child of prepared.children) await this.createImage(child);
  }

  private async createImage(image: Image): Promise<boolean> {
    const images = this.resources.require(GROUP, VERSION, 'images');
    try {
      await images.create!('', structuredClone(image), write);
      return true;
    } catch (e) {
      if (isAlreadyExists(e)) return false;
      throw e;
    }
  }
}
