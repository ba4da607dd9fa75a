/**
 * Answers shared by many requests (the ImageStreamTag read cache's views): deeply frozen, so a
 * caller that tried to change one would fail loudly, and serialised once. An object that can
 * never change has one JSON text, so every later answer of it sends that text again.
 */
const jsonOfShared = new WeakMap<object, string | null>();

/** Freezes `value` deeply and marks it shared; its JSON is made on first use. */
export function shareAnswer<T extends object>(value: T): T {
  deepFreeze(value);
  jsonOfShared.set(value, null);
  return value;
}

/** The JSON text of an answer body: made once for a shared answer, each time for any other. */
export function answerJson(body: object): string {
  const known = jsonOfShared.get(body);
  if (known) return known;
  const text = JSON.stringify(body);
  if (known === null) jsonOfShared.set(body, text);
  return text;
}

function deepFreeze(value: unknown): void {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
}
