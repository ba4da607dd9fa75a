/** A JSON object (not null, not an array): what a decoded body, or a field of one, must be to have keys. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
