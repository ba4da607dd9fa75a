import type { ApiObject, DeleteOptions, ListOptions, ListResult, PatchType, WriteOptions, WriteResult } from '@app/api-machinery';
import type { GenericStore } from './generic-store';
import type { ResourceHandler } from './resource-handler';

/** How a kind that holds secret values hides them in its answers. */
export interface Redaction {
  /** Objects answered among others or as past states: lists, watch states. */
  many(obj: object): object;
  /** One object's GET and the answers of its writes (the object as is where those carry values, as kube's Secrets do). */
  one(obj: object): object;
  /** Throws for a patch that could move values where they would be answered; runs before the patch is applied. */
  checkPatch?(name: string, type: PatchType, patch: unknown): void;
}

/**
 * A stored kind served through its GenericStore with every answer passed through a Redaction
 * (trigger signing secrets, core Secrets). The store's change log is redacted by its own
 * `loggedObject` hook, so watch events and past versions never held the values.
 */
export class RedactingHandler<T extends ApiObject> implements ResourceHandler {
  constructor(
    readonly store: GenericStore<T>,
    private readonly redaction: Redaction,
  ) {}

  get info() {
    return this.store.info;
  }
  async get(ns: string, name: string): Promise<object> {
    return this.redaction.one(await this.store.get(ns, name));
  }
  async current(ns: string, name: string): Promise<object | null> {
    const obj = await this.store.current(ns, name);
    return obj && this.redaction.many(obj);
  }
  /** Change-log objects are redacted when logged; without these a watch replaying the log would fall back to the current object and skip superseded states. */
  async present(obj: object, mark?: string | null): Promise<object> {
    return this.redaction.many(await this.store.present(obj, mark));
  }
  /** The logged form keeps what `many` takes away (a Secret's key names, for its Table's count). */
  presentDeleted(obj: object): object {
    return this.redaction.many(obj);
  }
  async presentMany(objs: object[], marks?: (string | null | undefined)[]): Promise<object[]> {
    return (await this.store.presentMany(objs, marks)).map((o) => this.redaction.many(o));
  }
  fieldsOf(obj: object): Record<string, string> {
    return this.store.fieldsOf(obj);
  }
  async list(options: ListOptions): Promise<ListResult<object>> {
    const listed = await this.store.list(options);
    return { ...listed, items: listed.items.map((o) => this.redaction.many(o)) };
  }
  async create(ns: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.answer(await this.store.create(ns, body, options), 'one');
  }
  async update(ns: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.answer(await this.store.update(ns, name, body, options), 'one');
  }
  checkPatch(name: string, type: PatchType, patch: unknown): void {
    this.redaction.checkPatch?.(name, type, patch);
  }
  async patch(ns: string, name: string, type: PatchType, patch: unknown, options: WriteOptions): Promise<WriteResult> {
    this.checkPatch(name, type, patch);
    return this.answer(await this.store.patch(ns, name, type, patch, options), 'one');
  }
  /**
   * A delete held by finalizers (or a dry run) answers the object as one object's write does:
   * kube-apiserver's answer is the Secret as stored, data included. A completed delete answers a Status.
   */
  async delete(ns: string, name: string, options: DeleteOptions): Promise<WriteResult> {
    return this.answer(await this.store.delete(ns, name, options), 'one');
  }

  private answer(result: WriteResult, as: 'one' | 'many'): WriteResult {
    return { ...result, body: this.redaction[as](result.body) };
  }
}
