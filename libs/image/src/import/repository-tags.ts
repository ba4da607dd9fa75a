import { compareSemver, parseSemver, type Semver } from './semver';

/** Tag classes in import order (library-go imageutil tagPriority). */
const Priority = {
  Latest: 0,
  /** `5.1`, `v5.1`, `5.1-rc1`: read as 5.1.0(-rc1). */
  Minor: 1,
  /** A full semantic version: `5.1.3`, `v5.1.3-other`. */
  Full: 2,
  Other: 3,
} as const;
type Priority = (typeof Priority)[keyof typeof Priority];

interface PrioritizedTag {
  tag: string;
  priority: Priority;
  version?: Semver;
  prefix: string;
}

const minorVersion = /^\d+\.\d+$/;
const minorWithSuffix = /^(\d+\.\d+)-\w+$/;

function prioritize(tag: string): PrioritizedTag {
  if (tag === 'latest') return { tag, priority: Priority.Latest, prefix: '' };
  const prefix = tag.startsWith('v') ? 'v' : '';
  const short = tag.slice(prefix.length);
  const full = parseSemver(short);
  if (full) return { tag, priority: Priority.Full, version: full, prefix };
  const minor = minorVersion.test(short) ? parseSemver(`${short}.0`) : null;
  if (minor) return { tag, priority: Priority.Minor, version: minor, prefix };
  const suffixed = minorWithSuffix.exec(short);
  // As upstream: the first occurrence of "X.Y" (the prefix) becomes "X.Y.0".
  const withSuffix = suffixed ? parseSemver(short.replace(suffixed[1]!, `${suffixed[1]!}.0`)) : null;
  if (withSuffix) return { tag, priority: Priority.Minor, version: withSuffix, prefix };
  return { tag, priority: Priority.Other, prefix };
}

/** library-go prioritizedTags.Less as a comparator; equal versions with equal prefixes keep their order. */
function compare(a: PrioritizedTag, b: PrioritizedTag): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.priority === Priority.Other) return a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0;
  const byVersion = compareSemver(b.version!, a.version!); // newest first
  if (byVersion !== 0) return byVersion;
  return a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0;
}

/**
 * The order a repository import takes tags in (openshift importer + library-go PrioritizeTags):
 * `latest`; then minor versions (`5.1`, `v5.1`, `5.1-rc1`) newest first; then full semantic
 * versions (`5.1.3`, `v5.1.3-other`) newest first; then the rest lexicographically. Empty tags
 * count as `latest`. The input is deduplicated and sorted first, as upstream's string set is.
 */
export function orderRepositoryTags(tags: readonly string[]): string[] {
  const unique = [...new Set(tags.map((t) => t || 'latest'))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return unique
    .map(prioritize)
    .sort(compare)
    .map((t) => t.tag);
}

/** The tags to import (at most `limit`; negative = unlimited) and the ones reported as additionalTags. */
export function splitRepositoryTags(tags: readonly string[], limit: number): { imported: string[]; additional: string[] } {
  const ordered = orderRepositoryTags(tags);
  if (limit < 0 || ordered.length <= limit) return { imported: ordered, additional: [] };
  return { imported: ordered.slice(0, limit), additional: ordered.slice(limit) };
}
