import { InitialSchema1732500000000 } from './1732500000000-InitialSchema';

/** Every migration, in order. The schema changes only through these. */
export const migrations = [InitialSchema1732500000000];
