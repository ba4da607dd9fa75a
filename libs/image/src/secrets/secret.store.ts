import { type Database, GenericStore, RedactingHandler, TableStorage } from '@app/persistence';
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
export class SecretHandler extends RedactingHandler<Secret> {
  constructor(db: Database) {
    super(
      new GenericStore<Secret>(coreSecretsInfo, db, new TableStorage<Secret>('secrets', true), new SecretStrategy(), {
        loggedObject: (secret) => loggedSecret(secret),
      }),
      { one: (obj) => obj, many: (obj) => redactSecret(obj) },
    );
  }
}
