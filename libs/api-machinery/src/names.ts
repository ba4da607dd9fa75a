import { randomBytes } from 'node:crypto';

const alphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** generateName: prefix + 5 characters from the apimachinery alphabet (no vowels, no look-alikes). */
export function generateName(prefix: string): string {
  const bytes = randomBytes(5);
  let suffix = '';
  for (const b of bytes) suffix += alphabet[b % alphabet.length];
  const maxPrefix = 63 - 5;
  return (prefix.length > maxPrefix ? prefix.slice(0, maxPrefix) : prefix) + suffix;
}

/** RFC3339 with second precision, as Kubernetes serialises metav1.Time. */
export function nowTimestamp(date = new Date()): string {
  const iso = date.toISOString();
  // `YYYY-MM-DDTHH:mm:ss.sssZ` for years 0–9999: cut the milliseconds (called per write; the regex
  // replace was 2% of the api's busy profile samples under mappings). Other years: the general form.
  return iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, 'Z');
}
