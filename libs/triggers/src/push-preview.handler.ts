import { ApiError, type FieldError, fieldErr, refOf, validateNamespaceName, type WriteResult } from '@app/api-machinery';
import { currentRequestAccess } from '@app/config';
import type { ResourceHandler } from '@app/persistence';
import { parseDockerImageReferenceOrNull, validateDigest, validateImageStreamName } from '@app/image';
import type { TriggerEvaluator } from './evaluator';
import { pushPreviewsInfo, triggersInfo, workloadKinds } from './resource-infos';
import { parseStreamTag, TRIGGER_API_VERSION } from './trigger.types';
import { checkCreateEnvelope } from './create-envelope';
import { ENDPOINT_DISABLED, isEndpointDisabled, NOT_SENT_ENDPOINT_DISABLED } from './endpoint-disabled';

/**
 * PushPreview (create-only, no side effect): `metadata.name` = `stream:tag`, `spec.image` = the
 * digest of a hypothetical push (`spec.dockerImageReference` optional). Answers which triggers
 * would fire and the exact CloudEvent each would receive (`time` is set when it really fires), and
 * for annotated workloads which annotation entries would set their image, with the JSON patch.
 * Dependents of the tag's aliases, which the push moves too, are included; each entry names the
 * tag it follows.
 *
 * Dependents may live in other namespaces: the answer keeps only those the caller may `get` (a
 * Trigger, or the workload's kind, in its namespace), as their URLs, keys and patches are theirs.
 */
export class PushPreviewHandler implements ResourceHandler {
  readonly info = pushPreviewsInfo;
  constructor(private readonly evaluator: TriggerEvaluator) {}

  async create(namespace: string, body: unknown): Promise<WriteResult> {
    checkCreateEnvelope(this.info, namespace, body);
    const b = (body ?? {}) as { metadata?: { name?: string }; spec?: { image?: string; dockerImageReference?: unknown } };
    const name = b.metadata?.name ?? '';
    const errors: FieldError[] = [...validateNamespaceName(namespace)];
    const st = parseStreamTag(name);
    // A field left out is Required, as api-conventions has it (validation's field.Required).
    if (!name) errors.push(fieldErr.required('metadata.name', 'the <stream>:<tag> a push would move'));
    else if (!st) errors.push(fieldErr.invalid('metadata.name', name, 'must be of the form <stream>:<tag>'));
    // A stream no ImageStream can be named never gets a push, as a Trigger following it is refused.
    else errors.push(...validateImageStreamName(namespace, st.stream).map((e) => fieldErr.invalid('metadata.name', name, `stream name ${JSON.stringify(st.stream)} ${e.detail ?? 'is invalid'}`)));
    const image = b.spec?.image;
    // A digest a push can carry: go-digest's (sha256, sha384 or sha512, lowercase hex of that
    // algorithm's length), as the registry and the Image names it records have them.
    if (image === undefined || image === null || image === '') errors.push(fieldErr.required('spec.image', 'the digest a push would carry'));
    else if (typeof image !== 'string' || !/^[a-z0-9]+:[a-f0-9]+$/.test(image)) errors.push(fieldErr.invalid('spec.image', image, 'must be an image digest'));
    else {
      const why = validateDigest(image);
      if (why) errors.push(fieldErr.invalid('spec.image', image, `must be an image digest: ${why}`));
    }
    // The preview stands for a real push: a reference no push could carry, or one naming another
    // digest, would describe an event nothing can produce. Unknown fields are refused, not dropped.
    const reference = b.spec?.dockerImageReference;
    if (reference !== undefined) {
      const parsed = typeof reference === 'string' ? parseDockerImageReferenceOrNull(reference) : null;
      if (!parsed || !parsed.name) errors.push(fieldErr.invalid('spec.dockerImageReference', reference, 'must be an image pull spec'));
      else if (parsed.id && parsed.id !== image) errors.push(fieldErr.invalid('spec.dockerImageReference', reference, `must name the digest of spec.image (${String(image)}) when it names one`));
    }
    for (const k of Object.keys(b.spec ?? {})) {
      if (k !== 'image' && k !== 'dockerImageReference') errors.push(fieldErr.notSupported(`spec.${k}`, k, ['image', 'dockerImageReference']));
    }
    if (errors.length) throw ApiError.invalid(refOf(this.info), name, errors);
    const key = { namespace, stream: st!.stream, tag: st!.tag };
    const preview = await this.evaluator.preview(key, image!, reference as string | undefined);
    const { tag } = preview;
    const results = preview.results.filter((r) => mayGet(triggersInfo, r.trigger.metadata.namespace!, r.trigger.metadata.name!));
    const workloads = preview.workloads.filter((w) => {
      const kind = workloadKinds.find((k) => k.kind === w.kind);
      return !!kind && mayGet(kind, w.namespace, w.name);
    });
    return {
      code: 201,
      body: {
        kind: 'PushPreview',
        apiVersion: TRIGGER_API_VERSION,
        metadata: { name, namespace },
        spec: b.spec,
        status: {
          streamFound: tag?.streamFound ?? false,
          triggers: results.map((r) => ({
            namespace: r.trigger.metadata.namespace,
            name: r.trigger.metadata.name,
            tag: r.from.tag,
            wouldFire: r.decision.fire && !!r.event,
            reason: r.decision.reason,
            ...(r.event ? { deliveryId: r.event.id, idempotencyKey: r.key, url: r.trigger.spec.delivery.url, event: r.event, ...sendingOf(r.trigger.status?.conditions, r.signingSecretFound) } : {}),
          })),
          // Annotated workloads (image.openshift.io/triggers): one entry per annotation entry following
          // a moved tag. `patch` is the entry's part; `event` records the workload's one update.
          workloads: workloads.map((w) => ({
            kind: w.kind,
            namespace: w.namespace,
            name: w.name,
            tag: w.from.tag,
            fieldPath: w.fieldPath,
            wouldFire: w.fire,
            reason: w.reason,
            ...(w.patch ? { patch: w.patch } : {}),
            ...(w.event ? { deliveryId: w.event.id, idempotencyKey: w.idempotencyKey, event: w.event } : {}),
          })),
        },
      },
    };
  }
}

/**
 * Whether the receiver would get the fire: one whose endpoint a 410 Gone disabled, or whose
 * signing secret is missing, is recorded as a dead letter without a request, so "what it would
 * receive" is nothing (`notSent` says why, with the reason the real fire records).
 */
function sendingOf(conditions: Parameters<typeof isEndpointDisabled>[0], signingSecretFound: boolean): { wouldSend: boolean; notSent?: { reason: string; message: string } } {
  if (isEndpointDisabled(conditions)) return { wouldSend: false, notSent: { reason: ENDPOINT_DISABLED, message: NOT_SENT_ENDPOINT_DISABLED } };
  if (!signingSecretFound) return { wouldSend: false, notSent: { reason: 'SigningSecretUnavailable', message: 'not sent: the TriggerSecret named by spec.delivery.secretRef does not exist or has no key' } };
  return { wouldSend: true };
}

/**
 * Whether the request's caller may `get` the named object; no caller (API authentication off)
 * may see everything, and with API_AUTHORIZATION=AlwaysAllow every user may.
 */
function mayGet(kind: { group: string; resource: string }, namespace: string, name: string): boolean {
  const access = currentRequestAccess();
  return !access || access.can({ verb: 'get', group: kind.group, resource: kind.resource, subresource: '', namespace, name }).allowed;
}
