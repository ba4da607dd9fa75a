import {
  ApiError,
  applyPatchDocument,
  type FieldError,
  fieldErr,
  type PatchType,
  refOf,
  type WriteOptions,
  type WriteResult,
} from '@app/api-machinery';
import { allocateResourceVersion, appendChange, type Database, type GenericStore, type ResourceHandler, type TableStorage } from '@app/persistence';
import { parseDockerImageReference, ReferenceError } from '../reference/docker-reference';
import { imageStreamStatusInfo } from '../resources/resource-infos';
import { type TagHistoryRepository, tagHistoryMarkSql } from '../tag-history/tag-history.repository';
import type { ImageStream, NamedTagEventList } from './imagestream.types';
import { tagNameTooLong } from './imagestream.validation';
import { prepareStatusTags, sameStatusTags } from './imagestream-status-tags';

function validateStatusTags(tags: NamedTagEventList[]): FieldError[] {
  const errors: FieldError[] = [];
  tags.forEach((t) => {
    if (!t.tag) errors.push(fieldErr.required('status.tags.tag'));
    else errors.push(...tagNameTooLong(t.tag, 'status.tags.tag'));
    (t.items ?? []).forEach((item, i) => {
      if (!item.created) errors.push(fieldErr.required(`status.tags[${t.tag}].items[${i}].created`));
      const path = `status.tags[${t.tag}].items[${i}].dockerImageReference`;
      if (!item.dockerImageReference) errors.push(fieldErr.required(path));
      else {
        try {
          parseDockerImageReference(item.dockerImageReference);
        } catch (e) {
          if (!(e instanceof ReferenceError)) throw e;
          errors.push(fieldErr.invalid(path, item.dockerImageReference, e.message));
        }
      }
    });
  });
  return errors;
}

/**
 * `imagestreams/{name}/status`: replaces the tag history (pruners shorten it this way) and keeps
 * spec and metadata from storage, as upstream's status strategy does.
 */
export class ImageStreamStatusHandler implements ResourceHandler {
  readonly info = imageStreamStatusInfo;

  constructor(
    private readonly db: Database,
    private readonly streams: GenericStore<ImageStream>,
    private readonly table: TableStorage<ImageStream>,
    private readonly history: TagHistoryRepository,
  ) {}

  get(namespace: string, name: string): Promise<object> {
    return this.streams.get(namespace, name);
  }

  async update(namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ApiError.badRequest('the request body must be a JSON object');
    const obj = body as ImageStream;
    const ref = refOf(this.info);
    if (obj.metadata?.name !== undefined && obj.metadata.name !== name) {
      throw ApiError.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (obj.metadata?.namespace && obj.metadata.namespace !== namespace) {
      throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const rv = obj.metadata?.resourceVersion;
    if (!rv) throw ApiError.invalid(ref, name, [fieldErr.invalid('metadata.resourceVersion', '0x0', 'must be specified for an update')]);
    const tags = (obj.status?.tags ?? []).filter((t) => (t.items?.length ?? 0) > 0 || (t.conditions?.length ?? 0) > 0);
    const errors = validateStatusTags(tags);
    if (errors.length) throw ApiError.invalid(ref, name, errors);
    const result = await this.db.transaction(
      async (tx) => {
        const old = await this.table.get(tx, namespace, name, true);
        if (!old) throw ApiError.notFound(ref, name);
        if (old.metadata.resourceVersion !== rv) throw ApiError.staleResourceVersion(ref, name);
        const uid = old.metadata.uid!;
        const current = (await this.history.statusOf(tx, [uid])).get(uid) ?? [];
        const next = prepareStatusTags(tags, current, old);
        // An identical write keeps the resourceVersion and tells no watcher anything (as the main path).
        if (!sameStatusTags(next, current)) {
          await this.history.replace(tx, uid, next);
          const version = await allocateResourceVersion(tx);
          await this.table.touch(tx, namespace, name, version);
          await appendChange(tx, {
            rv: version,
            resource: 'imagestreams',
            namespace,
            name,
            type: 'MODIFIED',
            labels: old.metadata.labels ?? {},
            prevLabels: old.metadata.labels ?? {},
            object: old,
            snapshotMarkSql: tagHistoryMarkSql,
          });
        }
        const stored = (await this.table.get(tx, namespace, name))!;
        await this.streams.decorate(tx, [stored]);
        return stored;
      },
      { rollback: options.dryRun },
    );
    return { code: 200, body: { kind: 'ImageStream', apiVersion: 'image.openshift.io/v1', ...result } };
  }

  async patch(namespace: string, name: string, type: PatchType, patch: unknown, options: WriteOptions): Promise<WriteResult> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.streams.get(namespace, name);
      const patched = applyPatchDocument(type, current, patch, this.info.mergeKeys) as ImageStream;
      try {
        return await this.update(namespace, name, patched, options);
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'Conflict' && attempt < 5) continue;
        throw e;
      }
    }
  }
}
