import { ApiError, jsonEqual, refOf } from '@app/api-machinery';
import { GenericStore, type Database, type Queryable, sqlLiteral, TableStorage } from '@app/persistence';
import type { ImageApiConfig } from '../image-config';
import { imageStreamsInfo } from '../resources/resource-infos';
import { ImportRequestsRepository } from '../import/import-requests.repository';
import { TagHistoryRepository, tagHistoryMarkSql } from '../tag-history/tag-history.repository';
import { dockerImageRepositoryOf, publicDockerImageRepositoryOf } from './imagestream-status';
import { omitEmptyTagFields } from './imagestream.defaults';
import { ImageStreamStrategy } from './imagestream.strategy';
import type { ImageStream } from './imagestream.types';
import { StreamSpecListeners } from './stream-spec-listeners';
import { TagResolver } from './tag-resolver';
import { tagSourceFailure } from './tag-source-errors';
import { streamUpdateRefusals } from '../allowed-registries/stream-update-refusals';
import { currentStreamQuotaEvaluator, type NamespaceQuota } from '../quota/namespace-quota';
import type { StreamLimitsVerifier } from '../quota/stream-limits';

/** Fills status from the tag-history tables and the configured registry hostnames. */
export async function decorateImageStreams(
  q: Queryable,
  streams: ImageStream[],
  history: TagHistoryRepository,
  config: ImageApiConfig,
  marks?: (string | null | undefined)[],
): Promise<void> {
  // A watch presents a batch of changes at once, which may hold one stream several times, each as
  // of its own change: an object with a snapshot mark gets the history that existed at that mark.
  const statuses = await history.statusesAsOf(
    q,
    streams.map((s, i) => {
      const mark = marks?.[i];
      return { uid: s.metadata.uid!, ...(mark ? { mark: BigInt(mark) } : {}) };
    }),
  );
  for (const [i, s] of streams.entries()) {
    // Rows written before empty spec-tag fields were dropped still carry them; serve them without.
    for (const tag of s.spec?.tags ?? []) omitEmptyTagFields(tag);
    const tags = statuses[i];
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
export function createImageStreamStore(
  db: Database,
  config: ImageApiConfig,
  history = new TagHistoryRepository(),
  specListeners = new StreamSpecListeners(),
  quota?: NamespaceQuota,
  limits?: StreamLimitsVerifier,
) {
  const table = imageStreamTable(config);
  const resolver = new TagResolver(imageStreamsInfo, table, history, config);
  const importRequests = new ImportRequestsRepository();
  const allowedRegistries = config.allowedRegistries ?? null;
  const store = new GenericStore<ImageStream>(imageStreamsInfo, db, table, new ImageStreamStrategy(config.defaultImportMode, config.allowedRegistries ?? null), {
    decorate: (q, objs, marks) => decorateImageStreams(q, objs, history, config, marks),
    snapshotMarkSql: tagHistoryMarkSql,
    // allowedRegistriesForImport on an update: the old spec's and status's repositories are exempt.
    ...(allowedRegistries
      ? { validateWithStorage: (tx: Queryable, obj: ImageStream, old: ImageStream | null) => (old ? streamUpdateRefusals(tx, history, allowedRegistries, obj, old) : Promise.resolve([])) }
      : {}),
    // Upstream's strategy Validate answers field errors and tag-source errors together: a write
    // refused by validation also carries the sources that do not resolve (one wrapped cause, first).
    explainInvalid: async (tx, obj, old, errors) => {
      const sources = await resolver.sourceErrors(tx, obj, old);
      if (!sources.length) return errors;
      const first = errors[0];
      const rest = first?.type === 'InternalError' && first.field === '[]' ? errors.slice(1) : errors;
      return [tagSourceFailure(obj.metadata.name ?? '', sources), ...rest];
    },
    // ResourceQuota admission of a new stream (every way one is created goes through this store).
    admit: async (tx, obj, old) => {
      const admitQuota = async () => {
        if (!old && quota) await quota.admitCreate(tx, obj.metadata.namespace!, { ref: refOf(imageStreamsInfo), name: obj.metadata.name! });
      };
      // Upstream, an ImageStreamTag's or ImageStreamImport's quota is that request's admission,
      // before its stream is written; an ImageStream's is validating admission, after the
      // strategy's validation (which holds the limit verifier): a stream over both is 422.
      const viaView = currentStreamQuotaEvaluator() !== 'imagestreams';
      if (viaView) await admitQuota();
      // openshift.io/ImageStream limits on spec references and on the images the tags copy (the
      // stream strategies' verifier upstream, which runs after the tags are resolved).
      await limits?.admitSpecWrite(tx, obj, old, () => resolver.resolvedImages(tx, obj, old));
      if (!viaView) {
        await admitQuota().catch(async (refusal: unknown) => {
          // The strategy's validation resolves the tag sources before quota admission runs: a
          // source that does not resolve is its 422, whatever the quota says.
          const sources = await resolver.sourceErrors(tx, obj, old);
          const name = obj.metadata.name ?? '';
          throw sources.length ? ApiError.invalid(refOf(imageStreamsInfo), name, [tagSourceFailure(name, sources)]) : refusal;
        });
      }
    },
    afterWrite: async (tx, obj, old, rv) => {
      if (!old) await quota?.recount(tx, obj.metadata.namespace!);
      await resolver.resolve(tx, obj, old);
      // DockerImage spec tags that are new or changed are imported in the background (outbox row).
      await importRequests.record(tx, obj, old, rv);
      if (old && !jsonEqual(old.spec, obj.spec)) await specListeners.notify(tx, obj, old);
    },
    // The stream's tags lose their images with it: fed to tag_changes so their dependents are evaluated.
    beforeRemove: async (tx, old) => {
      await history.feedStreamRemoval(tx, old.metadata.uid!, { namespace: old.metadata.namespace!, stream: old.metadata.name!, cause: 'stream-delete' });
      // The row is still there: the quotas' status.used counts it out.
      await quota?.recount(tx, old.metadata.namespace!, -1);
    },
  });
  return { store, table, resolver, history };
}
