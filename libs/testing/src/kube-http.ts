/** Minimal JSON-over-HTTP helpers for tests (Node's fetch is undici). */
export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = any>(
  method: string,
  url: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<HttpAnswer<T>> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  return { status: res.status, body: parseAnswerBody(await res.text()) as T, headers: res.headers };
}

/** An answer's body: parsed JSON, undefined when empty, the text itself when not JSON (metrics). */
export function parseAnswerBody(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

/** Collects watch events from a streaming GET until `stop()` or the server ends the stream. */
export function watchEvents(url: string): {
  events: { type: string; object: any }[];
  waitFor(pred: (e: { type: string; object: any }[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): void;
  done: Promise<void>;
  /** Resolves when the response headers arrive: the server has established the watch. */
  opened: Promise<void>;
} {
  const controller = new AbortController();
  const events: { type: string; object: any }[] = [];
  const response = fetch(url, { signal: controller.signal });
  const opened = response.then(() => undefined);
  opened.catch(() => undefined); // `done` reports the failure; an unawaited `opened` must not
  const done = (async () => {
    try {
      const res = await response;
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.trim()) events.push(JSON.parse(line));
        }
      }
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
    }
  })();
  return {
    events,
    done,
    opened,
    stop: () => controller.abort(),
    async waitFor(pred, timeoutMs = 10000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(events)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for watch events; got ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
