import type { Database } from '@app/persistence';

/**
 * What the processor knows of an Image already stored under the pushed digest: its size, which a
 * mapping of it is admitted by (LimitRange `openshift.io/Image` max.storage); null when the
 * stored Image has no `dockerImageMetadata.Size`.
 */
export interface StoredImage {
  size: number | null;
}

/**
 * SQL of the facts of the stored Image whose digest `digestSql` gives: one row when it is stored
 * (`stored` is true, so a LEFT JOIN of it tells a missing Image from one without a size).
 */
export function storedImageSql(digestSql: string): string {
  return `SELECT true AS stored, (i.body->'dockerImageMetadata'->>'Size')::float8 AS size FROM images i WHERE i.name = ${digestSql}`;
}

/** The stored Image's facts, or null when no Image has that digest. */
export async function storedImage(db: Database, digest: string): Promise<StoredImage | null> {
  const [row] = await db.query<{ size: number | null }>(storedImageSql('$1'), [digest]);
  return row ? { size: row.size } : null;
}
