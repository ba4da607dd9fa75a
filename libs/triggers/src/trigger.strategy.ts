import { type FieldError, fieldErr, jsonEqual, validateConditions, LAST_APPLIED_ANNOTATION, nowTimestamp, REDACTED_VALUE, type ResourceStrategy, withoutUserinfo, validateDns1123Label, validateDns1123SubdomainName, validateNamespaceName } from '@app/api-machinery';
import { sourcePullRefusal } from '@app/config';
import { MAX_TAG_NAME_BYTES, validateImageStreamName } from '@app/image';
import { isIP } from 'node:net';
import { parseFieldPath } from './annotation';
import { contentModes } from './content-mode';
import { credentialHeaderWarnings } from './credential-headers';
import { reenabledConditions } from './endpoint-disabled';
import { workloadKinds } from './resource-infos';
import { secretProblem } from './signing';
import type { AddressPolicy } from './ssrf';
import { SECRET_HEADER_PREFIX, type Trigger, targetKinds, parseStreamTag, type TargetKind, type TriggerSecret, type TriggerStatus } from './trigger.types';

const headerName = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/**
 * Headers the service sets itself; a trigger may not override them. The connection-level ones
 * (hop-by-hop, RFC 9110 §7.6.1, and `Expect`/`Upgrade`) belong to the HTTP client: undici refuses
 * a request carrying them, so every attempt would fail.
 */
const reservedHeaders = new Set([
  'content-type', 'content-length', 'host', 'webhook-id', 'webhook-timestamp', 'webhook-signature',
  'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer', 'proxy-connection',
]);
/**
 * `ce-*` headers carry CloudEvents attributes (HTTP binding §3.1.3): in structured mode they may
 * only repeat the body's attributes (§3.2.3), in binary mode they are the attributes, so a
 * trigger's own would contradict the event either way.
 */
const cloudEventsHeader = /^ce-/i;
/** A field value undici sends as is: visible ASCII, spaces and tabs (others fail every attempt). */
const headerValue = /^[\t\x20-\x7e]*$/;

/**
 * Size bounds of what every delivery carries. A URL is copied into each Delivery it fires and the
 * spec into the change log at each status update, so a 4 MiB one multiplied storage with every
 * push; nor would a receiver take it: RFC 9110 §4.1 asks recipients to support URIs of 8000
 * octets, Node answers 431 past 16 KiB of request headers and nginx 400 past an 8 KiB header line.
 */
const MAX_URL_BYTES = 8000;
const MAX_HEADER_MAP_BYTES = 8192;
/** An object name's bound (DNS-1123 subdomain); a Webhook or Build target names one. */
const MAX_TARGET_NAME_BYTES = 253;

/** Bytes of a header map's names and values, as they go on the wire (a non-string value counts nothing: it is refused anyway). */
function headerMapBytes(headers: Record<string, unknown>): number {
  return Object.entries(headers).reduce((n, [k, v]) => n + Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0), 0);
}

/** Why a URL's host name can never resolve (RFC 1035: at most 253 characters, labels at most 63), or null. */
function hostNameProblem(url: URL): string | null {
  const host = url.hostname;
  if (host.startsWith('[') || isIP(host)) return null;
  if (host.replace(/\.$/, '').length > 253) return 'host name must be at most 253 characters';
  return host.split('.').some((l) => l.length > 63) ? 'host name labels must be at most 63 characters' : null;
}

/** A delivery URL as a 422 may echo it: its userinfo masked. */
function urlForMessage(url: unknown): unknown {
  return typeof url === 'string' ? withoutUserinfo(url) : url;
}

/**
 * What is wrong with one extra delivery header (from spec.delivery.headers or a TriggerSecret's
 * `header.<name>` key). `seen`: lower-cased names so far, for duplicates that differ in case.
 */
function deliveryHeaderProblems(name: string, value: unknown, path: string, seen: Set<string>): FieldError[] {
  const errors: FieldError[] = [];
  if (!headerName.test(name)) errors.push(fieldErr.invalid(path, name, 'must be a valid HTTP header name'));
  else if (seen.has(name.toLowerCase())) errors.push(fieldErr.duplicate(path, name));
  else if (reservedHeaders.has(name.toLowerCase())) errors.push(fieldErr.forbidden(path, 'is set by the service'));
  else if (cloudEventsHeader.test(name)) errors.push(fieldErr.forbidden(path, 'is a CloudEvents attribute header: the event in the body carries its attributes'));
  // Header values often carry a receiver's credentials: the 422 does not echo them.
  if (typeof value !== 'string' || !headerValue.test(value)) errors.push(fieldErr.invalid(path, REDACTED_VALUE, 'must be a single-line string of visible ASCII characters, spaces and tabs'));
  seen.add(name.toLowerCase());
  return errors;
}

/**
 * A followed stream no ImageStream can be named (`Base`, `../x`) never gets an image, so the
 * trigger would wait forever: the name is refused as an ImageStream create refuses it.
 */
function fromStreamNameProblems(name: string, stream: string, namespace: string): FieldError[] {
  return validateImageStreamName(namespace, stream).map((e) => fieldErr.invalid('spec.from.name', name, `stream name ${JSON.stringify(stream)} ${e.detail ?? 'is invalid'}`));
}

/**
 * A trigger reads the tag it follows (its image and pull spec reach the trigger's status and
 * deliveries), so following another namespace's tag needs what tagging from it needs in
 * OpenShift's stream strategy: the caller may pull there (`get imagestreams/layers`), else a
 * Forbidden cause worded as upstream's tag verifier words it. Server-made writes are not asked.
 */
function otherNamespaceRefusal(namespace: string | null | undefined, stream: string, own: string | undefined): FieldError[] {
  const refusal = namespace && namespace !== own ? sourcePullRefusal(namespace, stream) : null;
  return refusal ? [fieldErr.forbidden('spec.from', refusal)] : [];
}

/**
 * `old`: the stored trigger on an update. Name rules added after a trigger was stored (the followed
 * stream's, a Deployment target's) are checked only where the update changes that field, so a
 * stored trigger can still be paused, edited or have its /status written.
 */
export function validateTrigger(t: Trigger, old?: Trigger, addresses?: AddressPolicy): FieldError[] {
  const errors: FieldError[] = [];
  const spec = t.spec as Partial<Trigger['spec']> | undefined;
  if (typeof spec !== 'object' || spec === null) return [fieldErr.required('spec')];
  const from = spec.from;
  if (!from) errors.push(fieldErr.required('spec.from'));
  else {
    if (!from.kind) errors.push(fieldErr.required('spec.from.kind'));
    else if (from.kind !== 'ImageStreamTag') errors.push(fieldErr.notSupported('spec.from.kind', from.kind, ['ImageStreamTag']));
    if (!from.name) errors.push(fieldErr.required('spec.from.name'));
    else {
      const parsed = typeof from.name === 'string' ? parseStreamTag(from.name) : null;
      if (!parsed) errors.push(fieldErr.invalid('spec.from.name', from.name, 'must be of the form <stream>:<tag>'));
      else if (!old || !jsonEqual(from, old.spec?.from)) {
        errors.push(...fromStreamNameProblems(from.name, parsed.stream, from.namespace || t.metadata?.namespace || ''));
        // A tag name no stream keeps (see MAX_TAG_NAME_BYTES) never gets an image either.
        if (Buffer.byteLength(parsed.tag) > MAX_TAG_NAME_BYTES) errors.push(fieldErr.invalid('spec.from.name', from.name, `tag name must be no more than ${MAX_TAG_NAME_BYTES} bytes`));
        errors.push(...otherNamespaceRefusal(from.namespace, parsed.stream, t.metadata?.namespace));
      }
    }
    // JSON null decodes as Go's zero value, "": the trigger's own namespace, as when absent.
    if (from.namespace !== undefined && from.namespace !== null && from.namespace !== '') {
      errors.push(...validateNamespaceName(from.namespace).map((e) => ({ ...e, field: 'spec.from.namespace' })));
    }
  }
  const target = spec.target;
  if (!target) errors.push(fieldErr.required('spec.target'));
  else {
    if (!target.kind) errors.push(fieldErr.required('spec.target.kind'));
    else if (!targetKinds.includes(target.kind)) errors.push(fieldErr.notSupported('spec.target.kind', target.kind, targetKinds));
    if (!target.name || typeof target.name !== 'string') errors.push(fieldErr.required('spec.target.name'));
    else if (Buffer.byteLength(target.name) > MAX_TARGET_NAME_BYTES && target.name !== old?.spec?.target?.name) errors.push(fieldErr.tooLong('spec.target.name', MAX_TARGET_NAME_BYTES));
    // A Deployment target's patch names the workload and its containers: names no Deployment or
    // container can have would make a patch nothing can apply.
    else if (target.kind === 'Deployment' && (!old || !jsonEqual(target, old.spec?.target))) errors.push(...validateDns1123SubdomainName(target.name, 'spec.target.name'));
    if (target.containerNames !== undefined) {
      if (!Array.isArray(target.containerNames) || target.containerNames.some((n) => typeof n !== 'string' || !n)) {
        errors.push(fieldErr.invalid('spec.target.containerNames', target.containerNames, 'must be a list of container names'));
      } else if (!old || !jsonEqual(target, old.spec?.target)) {
        target.containerNames.forEach((n, i) => errors.push(...validateDns1123Label(n, `spec.target.containerNames[${i}]`)));
        // A container named twice would be patched twice: a list of names, each once.
        target.containerNames.forEach((n, i) => {
          if (target.containerNames!.indexOf(n) < i) errors.push(fieldErr.duplicate(`spec.target.containerNames[${i}]`, n));
        });
      }
    }
    if (target.fieldPath !== undefined) {
      const problem = fieldPathProblem(target.kind, target.fieldPath);
      if (problem) errors.push(fieldErr.invalid('spec.target.fieldPath', target.fieldPath, problem));
    }
    // Both name containers, and only the fieldPath would be used: the names would be ignored
    // without a word. Checked when the target changes, so a trigger stored with both stays editable.
    if (target.fieldPath && Array.isArray(target.containerNames) && target.containerNames.length > 0 && (!old || !jsonEqual(target, old.spec?.target))) {
      errors.push(fieldErr.forbidden('spec.target.containerNames', 'may not be set together with spec.target.fieldPath'));
    }
  }
  const delivery = spec.delivery;
  if (!delivery) errors.push(fieldErr.required('spec.delivery'));
  else {
    if (!delivery.url) errors.push(fieldErr.required('spec.delivery.url'));
    else if (typeof delivery.url === 'string' && Buffer.byteLength(delivery.url) > MAX_URL_BYTES && delivery.url !== old?.spec?.delivery?.url) {
      errors.push(fieldErr.tooLong('spec.delivery.url', MAX_URL_BYTES));
    } else {
      let url: URL | undefined;
      try {
        url = new URL(delivery.url);
      } catch {
        errors.push(fieldErr.invalid('spec.delivery.url', urlForMessage(delivery.url), 'must be an absolute URL'));
      }
      if (url && url.protocol !== 'http:' && url.protocol !== 'https:') {
        errors.push(fieldErr.invalid('spec.delivery.url', urlForMessage(delivery.url), 'must use http or https'));
      }
      if (url && (url.username || url.password)) errors.push(fieldErr.invalid('spec.delivery.url', urlForMessage(delivery.url), 'must not carry credentials'));
      const badHost = url && delivery.url !== old?.spec?.delivery?.url ? hostNameProblem(url) : null;
      if (badHost) errors.push(fieldErr.invalid('spec.delivery.url', urlForMessage(delivery.url), badHost));
      // Nothing can listen on port 0 (the URL parser refuses ports above 65535 itself). A stored
      // URL stays editable, as with the host name.
      if (url && url.port === '0' && delivery.url !== old?.spec?.delivery?.url) {
        errors.push(fieldErr.invalid('spec.delivery.url', urlForMessage(delivery.url), 'port must be between 1 and 65535, inclusive'));
      }
      // An IP literal the SSRF policy refuses could never be delivered to: refused now rather
      // than dead-lettered at the first fire. A stored URL (the allow-list narrowed since) stays
      // editable; its deliveries are refused when dialled.
      const refused = url && addresses && delivery.url !== old?.spec?.delivery?.url ? addresses.literalRefusal(url) : null;
      if (refused) errors.push(fieldErr.invalid('spec.delivery.url', urlForMessage(delivery.url), refused));
    }
    // Every delivery is signed (Standard Webhooks): a URL without a signing secret is refused.
    if (delivery.secretRef === undefined || delivery.secretRef === null) errors.push(fieldErr.required('spec.delivery.secretRef', 'deliveries are always signed'));
    else if (typeof delivery.secretRef.name !== 'string' || !delivery.secretRef.name) errors.push(fieldErr.required('spec.delivery.secretRef.name'));
    // A name no TriggerSecret can have would dead-letter every delivery: refused when it is set or changed.
    else if (delivery.secretRef.name !== old?.spec?.delivery?.secretRef?.name) errors.push(...validateDns1123SubdomainName(delivery.secretRef.name, 'spec.delivery.secretRef.name'));
    if (delivery.headers !== undefined) {
      if (typeof delivery.headers !== 'object' || delivery.headers === null || Array.isArray(delivery.headers)) {
        errors.push(fieldErr.invalid('spec.delivery.headers', delivery.headers, 'must be a map of header names to values'));
      } else {
        // Header names are case-insensitive: `X-Team` and `x-team` would be one header sent once.
        if (headerMapBytes(delivery.headers) > MAX_HEADER_MAP_BYTES && !jsonEqual(delivery.headers, old?.spec?.delivery?.headers)) {
          errors.push(fieldErr.tooLong('spec.delivery.headers', MAX_HEADER_MAP_BYTES));
        } else {
          const seen = new Set<string>();
          for (const [k, v] of Object.entries(delivery.headers)) errors.push(...deliveryHeaderProblems(k, v, `spec.delivery.headers[${k}]`, seen));
        }
      }
    }
  }
  if (delivery?.contentMode !== undefined && !(contentModes as readonly unknown[]).includes(delivery.contentMode)) {
    errors.push(fieldErr.notSupported('spec.delivery.contentMode', delivery.contentMode, [...contentModes]));
  }
  if (spec.paused !== undefined && typeof spec.paused !== 'boolean') errors.push(fieldErr.invalid('spec.paused', spec.paused, 'must be a boolean'));
  return errors;
}

const containerListAt = /^((?:[A-Za-z][A-Za-z0-9]*\.)*)(?=(?:containers|initContainers)\[)/;

/**
 * Why a target fieldPath is unusable, or null. The container selector follows the grammar of
 * `image.openshift.io/triggers` annotation entries (`parseFieldPath`): a workload target (a
 * Deployment) needs the full path from the workload, as its annotation would; other targets (the
 * receiver applies the patch) may give any dotted prefix, or none.
 */
function fieldPathProblem(kind: TargetKind, fieldPath: unknown): string | null {
  const selector = 'containers[<index>|?(@.name=="<name>")].image (or initContainers)';
  const workload = workloadKinds.find((w) => w.kind === kind);
  if (workload) {
    return typeof fieldPath === 'string' && parseFieldPath(fieldPath, workload.podSpecPath) ? null : `must be ${workload.podSpecPath}.${selector}`;
  }
  const prefix = typeof fieldPath === 'string' ? containerListAt.exec(fieldPath)?.[1] : undefined;
  if (typeof fieldPath !== 'string' || prefix === undefined) return `must be [<path>.]${selector}`;
  // parseFieldPath wants a pod spec path before the list; an empty prefix stands for "the pod spec".
  const path = prefix ? prefix.slice(0, -1) : 'podSpec';
  return parseFieldPath(prefix ? fieldPath : `podSpec.${fieldPath}`, path) ? null : `must be [<path>.]${selector}`;
}

/**
 * Drops the spec fields given as JSON null, as kube-apiserver does: Go's decoder leaves a field
 * that is null at its zero value (unset), and a CRD prunes nulls of fields not marked nullable.
 * Clients send them: a Go struct field without omitempty (`"containerNames": null` for a nil
 * slice, `"headers": null` for a nil map), a YAML key left empty (`headers:`). Header values
 * stay as given (a null value is still not a header value).
 */
function dropNullSpecFields(obj: Trigger): void {
  const spec = obj.spec as unknown as Record<string, unknown> | null | undefined;
  if (typeof spec !== 'object' || spec === null) return;
  const drop = (o: unknown) => {
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return;
    for (const [k, v] of Object.entries(o)) if (v === null) delete (o as Record<string, unknown>)[k];
  };
  drop(spec);
  drop(spec['from']);
  drop(spec['target']);
  drop(spec['delivery']);
  drop((spec['delivery'] as Record<string, unknown> | undefined)?.['secretRef']);
}

/** Trigger main path: status is the controller's; generation bumps on spec change. */
export class TriggerStrategy implements ResourceStrategy<Trigger> {
  /** `addresses`: the delivery SSRF policy, applied to IP-literal URLs when they are written. */
  constructor(private readonly addresses?: AddressPolicy) {}

  prepareForCreate(obj: Trigger): void {
    dropNullSpecFields(obj);
    obj.status = {};
    obj.metadata.generation = 1;
  }
  validate(obj: Trigger): FieldError[] {
    return [...validateDns1123SubdomainName(obj.metadata.name), ...validateTrigger(obj, undefined, this.addresses)];
  }
  canonicalize(obj: Trigger): void {
    if (obj.spec.from && (obj.spec.from.namespace === '' || obj.spec.from.namespace === null)) delete obj.spec.from.namespace;
  }
  prepareForUpdate(obj: Trigger, old: Trigger): void {
    dropNullSpecFields(obj);
    obj.status = old.status ?? {};
    const gen = old.metadata.generation ?? 1;
    obj.metadata.generation = jsonEqual(obj.spec, old.spec) ? gen : gen + 1;
    // An endpoint disabled by a 410 Gone is re-enabled by any change of spec.delivery (a new URL,
    // headers, secret): the user has acted on it. Same write, so no fire slips in between.
    if (!jsonEqual(obj.spec?.delivery, old.spec?.delivery)) {
      const conditions = reenabledConditions(obj.status.conditions, 'DeliverySpecChanged', nowTimestamp(), obj.metadata.generation);
      if (conditions !== obj.status.conditions) obj.status = { ...obj.status, conditions };
    }
  }
  validateUpdate(obj: Trigger, old: Trigger): FieldError[] {
    return validateTrigger(obj, old, this.addresses);
  }
  /** Credential-looking spec.delivery.headers are accepted with a warning pointing at the TriggerSecret. */
  warnings(obj: Trigger): string[] {
    return credentialHeaderWarnings(obj);
  }
}

type ManagedMeta = Trigger['metadata'] & { managedFields?: unknown };

/** Trigger /status: spec and metadata changes are ignored; status is taken as given. */
export class TriggerStatusStrategy extends TriggerStrategy {
  override prepareForUpdate(obj: Trigger, old: Trigger): void {
    obj.spec = old.spec;
    // As a CRD's status strategy: all metadata stays as stored (finalizers and ownerReferences
    // too, so a status writer cannot hold or complete a delete), but for the resourceVersion the
    // store checks and the managedFields it tracks.
    const { resourceVersion, managedFields } = obj.metadata as ManagedMeta;
    const kept: ManagedMeta = { ...structuredClone(old.metadata), resourceVersion };
    if (managedFields !== undefined) kept.managedFields = managedFields;
    obj.metadata = kept;
    obj.status ??= {};
  }
  override validateUpdate(obj: Trigger, old: Trigger): FieldError[] {
    return [...super.validateUpdate(obj, old), ...validateTriggerStatus(obj.status ?? {})];
  }
  /** A status writer (a controller) cannot change the spec: nothing to warn it about. */
  override warnings(): string[] {
    return [];
  }
}

const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/** What a status writer may set: an image digest, a time, conditions as metav1.Condition. */
function validateTriggerStatus(status: TriggerStatus): FieldError[] {
  const errors: FieldError[] = [];
  const id = status.lastTriggeredImageID;
  if (id !== undefined && (typeof id !== 'string' || !digestPattern.test(id))) {
    errors.push(fieldErr.invalid('status.lastTriggeredImageID', id, 'must be an image digest (<algorithm>:<hex>)'));
  }
  const time = status.lastTriggeredTime;
  if (time !== undefined && (typeof time !== 'string' || Number.isNaN(Date.parse(time)))) {
    errors.push(fieldErr.invalid('status.lastTriggeredTime', time, 'must be an RFC 3339 time'));
  }
  // Conditions are metav1.Conditions: a status writer (a controller) is held to apimachinery's rules.
  errors.push(...validateConditions(status.conditions, 'status.conditions'));
  return errors;
}

/**
 * `kubectl apply` copies the whole manifest, keys included, into the last-applied annotation,
 * which every read returns. The stored annotation keeps the key names (so a later apply still
 * sees a removed previousKey and deletes it) with their values replaced.
 */
function redactLastApplied(obj: TriggerSecret): void {
  const annotations = obj.metadata.annotations;
  const raw = annotations?.[LAST_APPLIED_ANNOTATION];
  if (!annotations || raw === undefined) return;
  let applied: unknown;
  try {
    applied = JSON.parse(raw);
  } catch {
    // Not kubectl's JSON: it may hold anything, so none of it is kept.
    annotations[LAST_APPLIED_ANNOTATION] = '{}';
    return;
  }
  const data = (applied as { data?: unknown } | null)?.data;
  if (typeof data !== 'object' || data === null) return;
  const redacted = Object.fromEntries(Object.keys(data).map((k) => [k, REDACTED_VALUE]));
  annotations[LAST_APPLIED_ANNOTATION] = JSON.stringify({ ...(applied as object), data: redacted });
}

/** Signing secrets: write-only data (reads are redacted by the handler). */
export class TriggerSecretStrategy implements ResourceStrategy<TriggerSecret> {
  prepareForCreate(obj: TriggerSecret): void {
    delete obj.dataKeys;
    delete obj.metadata.generation;
  }
  validate(obj: TriggerSecret): FieldError[] {
    const errors: FieldError[] = validateDns1123SubdomainName(obj.metadata.name);
    const data = obj.data;
    if (!data || typeof data !== 'object' || !data.key) return [...errors, fieldErr.required('data.key')];
    const headers = new Set<string>();
    // Sent with every delivery of its Triggers, as spec.delivery.headers are: the same bound.
    const secretHeaders = Object.fromEntries(Object.entries(data).filter(([k]) => k.startsWith(SECRET_HEADER_PREFIX)));
    if (headerMapBytes(secretHeaders) > MAX_HEADER_MAP_BYTES) {
      errors.push({ type: 'FieldValueTooLong', field: 'data', detail: `${SECRET_HEADER_PREFIX}<Name> values may not be more than ${MAX_HEADER_MAP_BYTES} bytes` });
    }
    for (const [k, v] of Object.entries(data)) {
      if (k.startsWith(SECRET_HEADER_PREFIX)) errors.push(...deliveryHeaderProblems(k.slice(SECRET_HEADER_PREFIX.length), v, `data.${k}`, headers));
      else if (k !== 'key' && k !== 'previousKey') errors.push(fieldErr.notSupported(`data.${k}`, k, ['key', 'previousKey', `${SECRET_HEADER_PREFIX}<header name>`]));
      else {
        // Standard Webhooks secrets; the value is never echoed back in errors.
        const problem = secretProblem(v);
        if (problem) errors.push(fieldErr.invalid(`data.${k}`, REDACTED_VALUE, problem));
      }
    }
    return errors;
  }
  canonicalize(obj: TriggerSecret): void {
    delete obj.dataKeys;
    if (obj.data && !obj.data.previousKey) delete obj.data.previousKey;
    redactLastApplied(obj);
  }
  /** A client that read the redacted object and writes it back keeps the stored keys. */
  prepareForUpdate(obj: TriggerSecret, old: TriggerSecret): void {
    if (!obj.data) obj.data = old.data;
    delete obj.dataKeys;
  }
  validateUpdate(obj: TriggerSecret): FieldError[] {
    return this.validate(obj);
  }
}
