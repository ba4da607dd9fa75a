import type { ServerResponse } from 'node:http';
import { emptyListBlueprint, INITIAL_EVENTS_LIST_BLUEPRINT_ANNOTATION } from '@app/api-machinery';

/** A watch response that converts events takes them as objects through writeEvent. */
export interface EventWriter {
  writeEvent(type: string, object: object): void;
}

/**
 * Wraps a watch response for the transport: the status line and headers go out as soon as the
 * watch writes them (clients such as client-go and @kubernetes/client-node wait for them before
 * they consider a watch open, and a quiet watch may write nothing for minutes), and, when
 * `convert` is given, every event line's object is converted (Table rows,
 * PartialObjectMetadata). ERROR events (a Status) pass through unchanged; BOOKMARKs are converted
 * as kube-apiserver's watch encoder converts them (a metadata client decodes nothing but
 * meta.k8s.io kinds; a Table bookmark is a one-row Table of the empty object). As that encoder (it sets NoHeaders
 * after the first object), only the first Table carries `columnDefinitions`; later ones have
 * `null` there.
 */
export function watchResponse(res: ServerResponse, convert?: (object: object) => object): ServerResponse {
  const writeHead = (...args: unknown[]): ServerResponse => {
    (res.writeHead as (...a: unknown[]) => ServerResponse).apply(res, args);
    res.flushHeaders();
    return res;
  };
  let headersSent = false;
  const withoutRepeatedHeaders = (object: object): object => {
    if ((object as { kind?: unknown }).kind !== 'Table') return object;
    if (!headersSent) {
      headersSent = true;
      return object;
    }
    return { ...object, columnDefinitions: null };
  };
  const convertEvent = (type: string, object: object): object => {
    if (type === 'ERROR') return object;
    const converted = withoutRepeatedHeaders(convert!(object));
    return type === 'BOOKMARK' ? withMetadataListBlueprint(converted) : converted;
  };
  const writeEvent = (type: string, object: object): void => {
    res.write(`${JSON.stringify({ type, object: convertEvent(type, object) })}\n`);
  };
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    const out = text
      .split('\n')
      .map((line) => {
        if (!line.trim()) return line;
        const event = JSON.parse(line) as { type: string; object: object };
        if (event.type === 'ERROR') return line;
        return JSON.stringify({ type: event.type, object: convertEvent(event.type, event.object) });
      })
      .join('\n');
    return (res.write as (c: string, ...r: unknown[]) => boolean).call(res, out, ...rest);
  };
  return new Proxy(res, {
    get(target, prop) {
      if (prop === 'writeHead') return writeHead;
      if (prop === 'write' && convert) return write;
      if (prop === 'writeEvent' && convert) return writeEvent;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * A metadata watch's initial-events-end bookmark carries an empty PartialObjectMetadataList as its
 * list blueprint (kube-apiserver 1.32's watchListTransformer), not the watched kind's list.
 */
function withMetadataListBlueprint(bookmark: object): object {
  const { apiVersion, metadata } = bookmark as { apiVersion?: string; metadata?: { annotations?: Record<string, string> } };
  const annotations = metadata?.annotations;
  if (annotations?.[INITIAL_EVENTS_LIST_BLUEPRINT_ANNOTATION] === undefined || apiVersion === undefined) return bookmark;
  const blueprint = emptyListBlueprint('PartialObjectMetadataList', apiVersion);
  return { ...bookmark, metadata: { ...metadata, annotations: { ...annotations, [INITIAL_EVENTS_LIST_BLUEPRINT_ANNOTATION]: blueprint } } };
}
