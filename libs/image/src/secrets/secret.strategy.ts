import type { FieldError, ResourceStrategy } from '@app/api-machinery';
import { type Secret, SECRET_TYPE_OPAQUE } from './secret.types';
import { secretBytes, validateSecret, validateSecretUpdate } from './secret.validation';
import { tlsKeyPairProblem } from './tls-key-pair';

/**
 * core/v1's Secret conversion and defaulting, applied on every write as kube-apiserver decodes a
 * body: `stringData` is merged into `data` (it wins over the same key) and never stored, and an
 * empty `type` is `Opaque`.
 */
function normalize(secret: Secret): void {
  const stringData = secret.stringData;
  delete secret.stringData;
  if (secret.data && typeof secret.data === 'object') {
    // Decoded into []byte and encoded again, as kube serves them: line breaks dropped, padding
    // bits cleared ("eB==" is "eA=="). Values already passed the decoder's Go base64 check.
    for (const [k, v] of Object.entries(secret.data)) {
      if (typeof v === 'string') secret.data[k] = Buffer.from(v.replace(/[\r\n]/g, ''), 'base64').toString('base64');
      // A JSON null decodes into a nil []byte, which storage keeps (and kube serves) as empty bytes.
      else if (v === null) secret.data[k] = '';
    }
  }
  if (stringData && typeof stringData === 'object') {
    secret.data = { ...(secret.data ?? {}) };
    // A JSON null decodes into Go's empty string.
    for (const [k, v] of Object.entries(stringData)) secret.data[k] = Buffer.from(v === null ? '' : String(v), 'utf8').toString('base64');
  }
  // A null or empty data map is omitted (omitempty), as kube serves it.
  if (secret.data === null || (secret.data && Object.keys(secret.data).length === 0)) delete secret.data;
  if (!secret.type) secret.type = SECRET_TYPE_OPAQUE;
  if (secret.immutable === null) delete secret.immutable;
  delete secret.metadata.generation;
}

/** kube-apiserver's secret strategy: no status, no generation; validation as ValidateSecret. */
export class SecretStrategy implements ResourceStrategy<Secret> {
  prepareForCreate(secret: Secret): void {
    normalize(secret);
  }
  validate(secret: Secret): FieldError[] {
    return validateSecret(secret);
  }
  canonicalize(secret: Secret): void {
    delete secret.stringData;
  }
  prepareForUpdate(secret: Secret): void {
    normalize(secret);
  }
  validateUpdate(secret: Secret, old: Secret): FieldError[] {
    return validateSecretUpdate(secret, old);
  }
  /** kube's warningsForSecret: a `kubernetes.io/tls` pair that crypto/tls would refuse. */
  warnings(secret: Secret): string[] {
    if (secret.type !== 'kubernetes.io/tls') return [];
    const problem = tlsKeyPairProblem(secretBytes(secret, 'tls.crt') ?? Buffer.alloc(0), secretBytes(secret, 'tls.key') ?? Buffer.alloc(0));
    return problem ? [problem] : [];
  }
}
