import type { FieldError } from '@app/api-machinery';
import type { Queryable } from '@app/persistence';
import type { ImageStream } from '../imagestream/imagestream.types';
import type { TagHistoryRepository } from '../tag-history/tag-history.repository';
import { specRefusals, specRepositories, statusRepositories } from './allowed-registries.validation';
import { isRepositoryInsecure } from '../imagestream/insecure-repository';
import type { RegistryAllowList } from './registry-allow-list';

/**
 * An ImageStream update's spec references (ValidateImageStreamUpdateWithWhitelister): repositories
 * the old spec or the old status names are exempt. The status lives in the tag-history tables, so
 * it is read only when the spec alone leaves something refused (rare: a legacy reference).
 */
export async function streamUpdateRefusals(q: Queryable, history: TagHistoryRepository, allow: RegistryAllowList, next: ImageStream, old: ImageStream): Promise<FieldError[]> {
  const check = { allow, insecureRepository: isRepositoryInsecure(next.metadata.annotations), exempt: specRepositories(old) };
  if (specRefusals(check, next).length === 0) return [];
  const uid = old.metadata.uid!;
  const status = (await history.statusOf(q, [uid])).get(uid) ?? [];
  return specRefusals({ ...check, exempt: new Set([...check.exempt, ...statusRepositories(status)]) }, next);
}
