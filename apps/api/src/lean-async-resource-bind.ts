import { AsyncResource } from 'node:async_hooks';

const installed = Symbol.for('imagestreamd.leanAsyncResourceBind');
/** Node's own bind, kept on the prototype once replaced (tests compare against it and restore it). */
export const nodeAsyncResourceBind = Symbol.for('imagestreamd.nodeAsyncResourceBind');

/**
 * Replaces Node 20's `AsyncResource.prototype.bind` with one that does the same binding without
 * the deprecated `asyncResource` accessor (DEP0172) it adds to every bound function.
 *
 * Why: Fastify binds each request body's completion callback (`content-type-parser.js`:
 * `new AsyncResource(…).bind(onDone)`), and Node builds that accessor's getter and setter with
 * `util.deprecate`, which sets each fresh closure as the prototype of its wrapper. V8 turns an
 * object that becomes a prototype into a long-lived prototype map, and the request's objects
 * reachable from it survive the next young-generation collections: measured on the api under
 * 1,500 POST imagestreammappings/s (V8 `--trace-gc-nvp`), about 10% of all allocation was
 * promoted to the old generation, so a full mark-compact ran every few seconds and each left a
 * cluster of 50–150 mappings over 20 ms (the benchmark's p99). With this bind: 2.9% promoted,
 * scavenges 3.6 → 2.4 ms, api CPU per mapping 18% lower (README, Benchmarks: Mapping latency;
 * docs/benchmark-history.md, twentieth session).
 *
 * Behaviour kept: the function runs in the resource's async scope (AsyncLocalStorage stores,
 * async hooks' before/after), with the caller's `this` unless `thisArg` is given, and keeps
 * `fn.length`. Only the deprecated `asyncResource` property is gone; nothing here reads it.
 * Installed once per process (the api may be booted more than once in one, as tests do); idempotent.
 */
export function installLeanAsyncResourceBind(): void {
  const proto = AsyncResource.prototype as AsyncResource & { [installed]?: true };
  if (proto[installed]) return;
  Object.defineProperty(proto, nodeAsyncResourceBind, { configurable: true, value: Object.getOwnPropertyDescriptor(proto, 'bind')?.value });
  Object.defineProperty(proto, 'bind', {
    configurable: true,
    enumerable: false,
    writable: true,
    value: function bind(this: AsyncResource, fn: AnyFunction, thisArg?: unknown): AnyFunction {
      return leanBind(this, fn, thisArg);
    },
  });
  Object.defineProperty(proto, installed, { configurable: true, value: true });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function may be bound, as Node's own signature says
type AnyFunction = (...args: any[]) => unknown;

function leanBind(resource: AsyncResource, fn: AnyFunction, thisArg: unknown): AnyFunction {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
  const bound =
    thisArg === undefined
      ? function (this: unknown, ...args: unknown[]) {
          return resource.runInAsyncScope(fn, this, ...args);
        }
      : (...args: unknown[]) => resource.runInAsyncScope(fn, thisArg, ...args);
  Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, writable: false, value: fn.length });
  return bound;
}
