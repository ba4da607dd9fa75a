import { type FieldError, fieldErr, goJsonSyntaxError, jsonEqual, regexError, validateDns1123SubdomainName } from '@app/api-machinery';
import {
  DOCKER_CONFIG_JSON_KEY,
  DOCKERCFG_KEY,
  MAX_SECRET_SIZE,
  type Secret,
  SECRET_TYPE_DOCKER_CONFIG_JSON,
  SECRET_TYPE_DOCKERCFG,
} from './secret.types';

/** What kube's ValidateSecret puts in place of a docker config it cannot parse. */
const REDACTED_CONTENTS = '<secret contents redacted>';

const configKey = /^[-._a-zA-Z0-9]+$/;
const configKeyError = regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", '[-._a-zA-Z0-9]+', 'key.name', 'KEY_NAME', 'key-name');

/** apimachinery IsConfigMapKey: the problems of a data key, worded as kube words them. */
function configKeyProblems(key: string): string[] {
  const problems: string[] = [];
  if (key.length > 253) problems.push('must be no more than 253 characters');
  if (!configKey.test(key)) problems.push(configKeyError);
  if (key === '.') problems.push("must not be '.'");
  else if (key === '..') problems.push("must not be '..'");
  else if (key.startsWith('..')) problems.push("must not start with '..'");
  return problems;
}

/** Go's json.Unmarshal into map[string]interface{}: its error for bytes that are not a JSON object. */
function dockerConfigProblem(bytes: Buffer): string | null {
  const syntax = goJsonSyntaxError(bytes);
  if (syntax) return syntax;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'unexpected end of JSON input';
  }
  if (parsed === null || (typeof parsed === 'object' && !Array.isArray(parsed))) return null;
  const kind = Array.isArray(parsed) ? 'array' : typeof parsed === 'string' ? 'string' : typeof parsed === 'number' ? 'number' : 'bool';
  return `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`;
}

/** The bytes of a data value (wire base64); undefined when absent. */
export function secretBytes(secret: Secret, key: string): Buffer | undefined {
  const v = secret.data?.[key];
  return typeof v === 'string' ? Buffer.from(v, 'base64') : undefined;
}

/**
 * ValidateObjectMeta's name checks with ValidateSecretName (NameIsDNSSubdomain): generateName as a
 * prefix (a trailing '-' masked as apimachinery's maskTrailingDash does), then the name.
 */
function validateSecretNames(secret: Secret): FieldError[] {
  const errors: FieldError[] = [];
  const prefix = secret.metadata.generateName;
  if (prefix) {
    const masked = prefix.length > 1 && prefix.endsWith('-') ? `${prefix.slice(0, -2)}a` : prefix;
    for (const e of validateDns1123SubdomainName(masked, 'metadata.generateName')) errors.push(fieldErr.invalid('metadata.generateName', prefix, e.detail ?? ''));
  }
  errors.push(...validateDns1123SubdomainName(secret.metadata.name));
  return errors;
}

/**
 * kube-apiserver's ValidateSecret (pkg/apis/core/validation): data keys, total size, and the keys
 * each well-known type requires. Values are never quoted back: an unparsable docker config is
 * shown as kube shows it, `<secret contents redacted>`. Keys are checked in sorted order (Go's
 * map order is random; sorted is stable).
 */
export function validateSecret(secret: Secret): FieldError[] {
  const errors: FieldError[] = validateSecretNames(secret);
  let total = 0;
  for (const key of Object.keys(secret.data ?? {}).sort()) {
    for (const problem of configKeyProblems(key)) errors.push(fieldErr.invalid(`data[${key}]`, key, problem));
    total += secretBytes(secret, key)?.length ?? 0;
  }
  if (total > MAX_SECRET_SIZE) errors.push(fieldErr.tooLong('data', MAX_SECRET_SIZE));
  const requireKeys = (...keys: string[]) => {
    for (const key of keys) errors.push(fieldErr.required(`data[${key}]`));
  };
  const has = (key: string) => secret.data?.[key] !== undefined;
  switch (secret.type ?? '') {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata.annotations?.['kubernetes.io/service-account.name']) {
        errors.push(fieldErr.required('metadata.annotations[kubernetes.io/service-account.name]'));
      }
      break;
    case SECRET_TYPE_DOCKERCFG:
    case SECRET_TYPE_DOCKER_CONFIG_JSON: {
      const key = secret.type === SECRET_TYPE_DOCKERCFG ? DOCKERCFG_KEY : DOCKER_CONFIG_JSON_KEY;
      const bytes = secretBytes(secret, key);
      if (!bytes) {
        requireKeys(key);
        break;
      }
      const problem = dockerConfigProblem(bytes);
      if (problem) errors.push(fieldErr.invalid(`data[${key}]`, REDACTED_CONTENTS, problem));
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) requireKeys('username', 'password');
      break;
    case 'kubernetes.io/ssh-auth':
      // present is not enough here: kube checks len(data) == 0
      if (!secretBytes(secret, 'ssh-privatekey')?.length) requireKeys('ssh-privatekey');
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) requireKeys('tls.crt');
      if (!has('tls.key')) requireKeys('tls.key');
      break;
    default:
      // Opaque and other types require nothing.
      break;
  }
  return errors;
}

/** kube's ValidateSecretUpdate: `type` is immutable, and so is everything once `immutable: true`. */
export function validateSecretUpdate(secret: Secret, old: Secret): FieldError[] {
  const errors: FieldError[] = [];
  if (secret.type !== old.type) errors.push(fieldErr.invalid('type', secret.type ?? '', 'field is immutable'));
  if (old.immutable === true) {
    if (secret.immutable !== true) errors.push(fieldErr.forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!jsonEqual(secret.data ?? {}, old.data ?? {})) errors.push(fieldErr.forbidden('data', 'field is immutable when `immutable` is set'));
  }
  return [...errors, ...validateSecret(secret)];
}
