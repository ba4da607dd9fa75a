import { SECRET_HEADER_PREFIX, type Trigger } from './trigger.types';

/** Header names that carry credentials by definition. */
const credentialNames = new Set(['authorization', 'proxy-authorization', 'cookie', 'api-key', 'apikey', 'x-api-key', 'x-apikey']);
/** Words that make a header name look like one (`X-Auth-Token`, `X-Gitlab-Token`, `X-Client-Secret`, `X-Session-Id`). */
const credentialWords = new Set(['token', 'secret', 'password', 'passwd', 'apikey', 'auth', 'credential', 'credentials', 'session']);

/** Does the header name look like it carries a credential? (A hint for a warning, so a guess either way is harmless.) */
export function looksLikeCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return credentialNames.has(lower) || lower.split(/[-_.]/).some((word) => credentialWords.has(word));
}

/**
 * Warnings (kube `Warning` header texts) for `spec.delivery.headers` that look like credentials:
 * the Trigger's spec is served to everyone who may read it (lists, watches, Tables, the
 * last-applied annotation), while a TriggerSecret's `header.<Name>` key is write-only and sent
 * the same way. The write is accepted, as kube-apiserver accepts what it warns about.
 */
export function credentialHeaderWarnings(trigger: Trigger): string[] {
  const headers = trigger.spec?.delivery?.headers;
  if (typeof headers !== 'object' || headers === null) return [];
  const secret = trigger.spec.delivery.secretRef?.name;
  return Object.keys(headers)
    .filter(looksLikeCredentialHeader)
    .map(
      (name) =>
        `spec.delivery.headers[${name}]: looks like a credential, and the Trigger's spec is served to every reader; ` +
        `put it in the TriggerSecret${secret ? ` ${secret}` : ''} as data key "${SECRET_HEADER_PREFIX}${name}" instead (write-only, sent with every delivery it signs)`,
    );
}
