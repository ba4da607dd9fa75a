const versionPattern = /^v?(\d+(?:\.\d+)*)(?:[-+].*)?$/;

function versionOf(tag: string): number[] | null {
  const m = versionPattern.exec(tag);
  return m ? m[1]!.split('.').map(Number) : null;
}

function compareVersionsDesc(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (b[i] ?? -1) - (a[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The order a repository import takes tags in (after openshift's importer): `latest` first, then
 * version-like tags (`1.2`, `v1.2.3`, `1.2-alpine`) newest first, then the rest lexicographically.
 * Upstream tells minor-version shapes from full semver apart; this keeps one version ordering.
 */
export function orderRepositoryTags(tags: readonly string[]): string[] {
  const unique = [...new Set(tags.map((t) => t || 'latest'))];
  const rank = (t: string) => (t === 'latest' ? 0 : versionOf(t) ? 1 : 2);
  return unique.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb) return ra - rb;
    if (ra === 1) {
      const byVersion = compareVersionsDesc(versionOf(a)!, versionOf(b)!);
      if (byVersion !== 0) return byVersion;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** The tags to import (at most `limit`; negative = unlimited) and the ones reported as additionalTags. */
export function splitRepositoryTags(tags: readonly string[], limit: number): { imported: string[]; additional: string[] } {
  const ordered = orderRepositoryTags(tags);
  if (limit < 0 || ordered.length <= limit) return { imported: ordered, additional: [] };
  return { imported: ordered.slice(0, limit), additional: ordered.slice(limit) };
}
