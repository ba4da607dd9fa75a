import type { DeleteOptions, ListOptions, ListResult, PatchType, WriteOptions, WriteResult } from '@app/api-machinery';
import { type Database, GenericStore, type ResourceHandler, TableStorage } from '@app/persistence';
import { coreSecretsInfo } from '../resources/resource-infos';
import { loggedSecret, redactSecret } from './secret-redaction';
import { SecretStrategy } from './secret.strategy';
import type { Secret } from './secret.types';

/**
 * core/v1 Secrets at /api/v1/namespaces/{ns}/secrets, stored as every kind is. A GET of one
 * Secret and the answers of writes carry its data, as kube-apiserver's do (so `kubectl get -o
 * yaml` and `kubectl edit` work); lists, watches, Tables of lists and deletecollection answers
 * never do (see redactSecret), and neither does the change log.
 */
export class SecretHandler implements ResourceHandler {
  readonly store: GenericStore<Secret>;

  constructor(db: Database) {
    this.store = new GenericStore<Secret>(coreSecretsInfo, db, new TableStorage<Secret>('secrets', true), new SecretStrategy(), {
      loggedObject: (secret) => loggedSecret(secret),
    });
  }

  get info() {
    return this.store.info;
  }
  get(ns: string, name: string): Promise<object> {
    return this.store.get(ns, name);
  }
  async current(ns: string, name: string): Promise<object | null> {
    const obj = await this.store.current(ns, name);
    return obj && redactSecret(obj);
  }
  async present(obj: object, mark?: string | null): Promise<object> {
    return redactSecret(await this.store.present(obj, mark));
  }
  async presentMany(objs: object[], marks?: (string | null | undefined)[]): Promise<object[]> {
    return (await this.store.presentMany(objs, marks)).map((o) => redactSecret(o));
  }
  fieldsOf(obj: object): Record<string, string> {
    return this.store.fieldsOf(obj);
  }
  async list(options: ListOptions): Promise<ListResult<object>> {
    const listed = await this.store.list(options);
    return { ...listed, items: listed.items.map((s) => redactSecret(s)) };
  }
  create(ns: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.store.create(ns, body, options);
  }
  update(ns: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.store.update(ns, name, body, options);
  }
  patch(ns: string, name: string, type: PatchType, patch: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.store.patch(ns, name, type, patch, options);
  }
  /** The object a delete answers (one held by finalizers) is gone from the caller's view: redacted. */
  async delete(ns: string, name: string, options: DeleteOptions): Promise<WriteResult> {
    const r = await this.store.delete(ns, name, options);
    return { ...r, body: redactSecret(r.body) };
  }
}
