import { GenericStore, type Database, type Queryable, sqlLiteral, TableStorage } from '@app/persistence';
import type { ImageApiConfig } from '../image-config';
import { imageStreamsInfo } from '../resources/resource-infos';
import { ImportRequestsRepository } from '../import/import-requests.repository';
import { TagHistoryRepository } from '../tag-history/tag-history.repository';
import { dockerImageRepositoryOf, publicDockerImageRepositoryOf } from './imagestream-status';
import { ImageStreamStrategy } from './imagestream.strategy';
import type { ImageStream } from './imagestream.types';
import { TagResolver } from './tag-resolver';

/** Fills status from the tag-history tables and the configured registry hostnames. */
export async function decorateImageStreams(
  q: Queryable,
  streams: ImageStream[],
  history: TagHistoryRepository,
  config: ImageApiConfig,
): Promise<void> {
  // A watch presents a batch of changes at once, which may hold one stream several times.
  const statuses = await history.statusOf(q, [...new Set(streams.map((s) => s.metadata.uid!))]);
  for (const s of streams) {
    const tags = statuses.get(s.metadata.uid!);
    const publicRepo = publicDockerImageRepositoryOf(s, config);
    s.status = {
      dockerImageRepository: dockerImageRepositoryOf(s, config),
      ...(publicRepo ? { publicDockerImageRepository: publicRepo } : {}),
      ...(tags?.length ? { tags } : {}),
    };
  }
}

/**
 * The image_streams table. With the config, `fieldSelector=status.dockerImageRepository` (computed,
 * not stored: see dockerImageRepositoryOf) is matched in SQL like the stored fields.
 */
export function imageStreamTable(config?: ImageApiConfig): TableStorage<ImageStream> {
  if (!config) return new TableStorage<ImageStream>('image_streams', true);
  const statusRepository = config.internalRegistryHostname
    ? `${sqlLiteral(config.internalRegistryHostname)} || '/' || namespace || '/' || name`
    : `COALESCE(body #>> '{spec,dockerImageRepository}', '')`;
  return new TableStorage<ImageStream>('image_streams', true, { 'status.dockerImageRepository': statusRepository });
}

/** The ImageStream resource: generic store + strategy + tag-history hooks. */
export function createImageStreamStore(db: Database, config: ImageApiConfig, history = new TagHistoryRepository()) {
  const table = imageStreamTable(config);
  const resolver = new TagResolver(imageStreamsInfo, table, history, config);
  const importRequests = new ImportRequestsRepository();
  const store = new GenericStore<ImageStream>(imageStreamsInfo, db, table, new ImageStreamStrategy(), {
    decorate: (q, objs) => decorateImageStreams(q, objs, history, config),
    afterWrite: async (tx, obj, old) => {
      await resolver.resolve(tx, obj, old);
      // DockerImage spec tags that are new or changed are imported in the background (outbox row).
      await importRequests.record(tx, obj, old);
    },
  });
  return { store, table, resolver, history };
}
