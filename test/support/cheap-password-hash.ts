import { formatPasswordHash, hashPasswordSync } from '@app/config';

/**
 * A `passwordHash` policy entry for `password` at the least scrypt cost a policy accepts (ln=14,
 * r=8, p=1). A plain `password:` is hashed at the default cost when the policy is parsed (0.3–0.8 s
 * of CPU each), which tests whose subject is not the hashing need not pay.
 */
export function cheapPasswordHash(password: string): string {
  return formatPasswordHash(hashPasswordSync(password, { logN: 14, r: 8, p: 1 }));
}
