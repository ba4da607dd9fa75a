import { AsyncLocalStorage, AsyncResource, createHook, executionAsyncId } from 'node:async_hooks';
import { installLeanAsyncResourceBind, nodeAsyncResourceBind } from './lean-async-resource-bind';

describe('installLeanAsyncResourceBind', () => {
  const proto = AsyncResource.prototype as unknown as Record<PropertyKey, unknown>;
  const marker = Symbol.for('imagestreamd.leanAsyncResourceBind');
  // What this Jest worker had before (an api booted in-process by an earlier test file of the
  // same worker has installed it already): put back afterwards.
  const found = Object.getOwnPropertyDescriptor(AsyncResource.prototype, 'bind')!;
  const foundMarked = marker in proto;
  const nodeBind = (proto[nodeAsyncResourceBind] ?? found.value) as unknown;
  beforeAll(() => {
    // Start from Node's own bind, so that this file's install is the one tested.
    Object.defineProperty(AsyncResource.prototype, 'bind', { ...found, value: nodeBind });
    delete proto[marker];
    installLeanAsyncResourceBind();
  });
  afterAll(() => {
    Object.defineProperty(AsyncResource.prototype, 'bind', found);
    if (!foundMarked) delete proto[marker];
  });

  it('replaces bind once, and installing again keeps it', () => {
    const bindOf = () => Object.getOwnPropertyDescriptor(AsyncResource.prototype, 'bind')!.value as unknown;
    const lean = bindOf();
    expect(lean).not.toBe(nodeBind);
    expect(proto[nodeAsyncResourceBind]).toBe(nodeBind);
    installLeanAsyncResourceBind();
    expect(bindOf()).toBe(lean);
  });

  it("runs the function in the resource's async context, wherever it is called from", () => {
    const storage = new AsyncLocalStorage<string>();
    const bound = storage.run('request-1', () => new AsyncResource('test').bind(() => storage.getStore()));
    expect(storage.getStore()).toBeUndefined();
    expect(storage.run('request-2', bound)).toBe('request-1');
    expect(bound()).toBe('request-1');
  });

  it('emits the async hooks before and after around the call, with the resource id', () => {
    const resource = new AsyncResource('test');
    const seen: string[] = [];
    const hook = createHook({
      before: (id) => id === resource.asyncId() && seen.push('before'),
      after: (id) => id === resource.asyncId() && seen.push('after'),
    }).enable();
    try {
      const inside = resource.bind(() => executionAsyncId())();
      expect(inside).toBe(resource.asyncId());
    } finally {
      hook.disable();
    }
    expect(seen).toEqual(['before', 'after']);
  });

  it("passes the caller's this and arguments, or the given thisArg, and returns the result", () => {
    const resource = new AsyncResource('test');
    function describeCall(this: unknown, a: number, b: number) {
      return { self: this, sum: a + b };
    }
    const receiver = { name: 'receiver' };
    const unboundThis = resource.bind(describeCall);
    expect(unboundThis.call(receiver, 2, 3)).toEqual({ self: receiver, sum: 5 });
    // Node takes a thisArg too (since 16.0); its typings leave it out.
    const bindWithThis = resource.bind.bind(resource) as unknown as (fn: typeof describeCall, thisArg: unknown) => typeof describeCall;
    const boundThis = bindWithThis(describeCall, { name: 'fixed' });
    expect(boundThis.call(receiver, 4, 5)).toEqual({ self: { name: 'fixed' }, sum: 9 });
  });

  it("keeps the function's length and adds no deprecated asyncResource accessor", () => {
    const bound = new AsyncResource('test').bind((a: number, b: number, c: number) => a + b + c);
    expect(bound.length).toBe(3);
    expect(Object.getOwnPropertyNames(bound)).not.toContain('asyncResource');
  });

  it('refuses what is not a function, as Node does', () => {
    // By message: the TypeError's constructor is of whichever realm installed the bind.
    expect(() => new AsyncResource('test').bind(42 as unknown as () => void)).toThrow('The "fn" argument must be of type function');
  });

  it('binds for the static AsyncResource.bind too', () => {
    const storage = new AsyncLocalStorage<number>();
    const bound = storage.run(7, () => AsyncResource.bind(() => storage.getStore()));
    expect(bound()).toBe(7);
    expect(Object.getOwnPropertyNames(bound)).not.toContain('asyncResource');
  });
});
