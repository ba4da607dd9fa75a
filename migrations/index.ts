import { InitialSchema1732500000000 } from './1732500000000-InitialSchema';
import { TagChanges1732500000100 } from './1732500000100-TagChanges';

/** Every migration, in order. The schema changes only through these. */
export const migrations = [InitialSchema1732500000000, TagChanges1732500000100];
