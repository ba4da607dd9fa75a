import type {
  Delivery,
  DeliveryAttempt,
  DeliverySpec,
  DeliveryStatus,
  Trigger,
  TriggerCondition,
  TriggerDelivery,
  TriggerFrom,
  TriggerSecret,
  TriggerSpec,
  TriggerStatus,
  TriggerTarget,
} from '@app/triggers';
import { META } from './meta-schemas';
import { kindSchemas } from './kind-schemas';
import { type Schema, s } from './schema';

/** Definition-name prefix of triggers.imagestreamd.io/v1 (reversed domain, as schemaNameOf spells it). */
export const TRIGGERS = 'io.imagestreamd.triggers.v1';
const GROUP = 'triggers.imagestreamd.io';
const VERSION = 'v1';

const { kind, list } = kindSchemas(GROUP, VERSION, TRIGGERS);

const objectMeta = s.ref(`${META}.ObjectMeta`, 'Standard object metadata.');

/**
 * The triggers.imagestreamd.io/v1 schemas of the stored and listed kinds. Field validation drops
 * (Warn, Ignore) or refuses (Strict) whatever a published schema does not declare, so each one
 * declares every field its kind accepts; the `FieldsOf` types keep them in step with the
 * TypeScript types. The create-only kinds (DeliveryRedrive, PushPreview) and the feed are
 * documented apart (trigger-action-schemas) and passed through.
 */
export const triggerSchemas: Record<string, Schema> = {
  [`${TRIGGERS}.Trigger`]: kind<Trigger>(
    'Trigger',
    'A Trigger follows one ImageStreamTag and POSTs a Standard-Webhooks-signed CloudEvent to a URL whenever the image of the tag changes (first sight of an existing image included); it never moves a dependent back to an older image unless the tag was explicitly rolled back.',
    {
      metadata: objectMeta,
      spec: s.ref(`${TRIGGERS}.TriggerSpec`, 'What to follow and where to deliver.'),
      status: s.ref(`${TRIGGERS}.TriggerStatus`, 'What the trigger last fired for (set by the server).'),
    },
    ['spec'],
  ),
  [`${TRIGGERS}.TriggerList`]: list('TriggerList', 'Trigger', 'TriggerList is a list of Trigger objects.'),
  [`${TRIGGERS}.TriggerSpec`]: s.object<TriggerSpec>(
    'TriggerSpec says which tag to follow and where to deliver its image changes.',
    {
      from: s.ref(`${TRIGGERS}.TriggerFrom`, 'The ImageStreamTag to follow.'),
      target: s.ref(
        `${TRIGGERS}.TriggerTarget`,
        'The dependent the receiver updates (named in the event; a Deployment target also gets the patch that sets its images: a JSON patch when the Deployment is stored here or the fieldPath has an index, else a strategic-merge patch by container name, with its patchType).',
      ),
      delivery: s.ref(`${TRIGGERS}.TriggerDelivery`, 'Where and how to deliver events.'),
      paused: s.boolean(
        'While true nothing fires; the first evaluation after unpausing fires for the image that arrived meanwhile.',
      ),
    },
    {},
    { required: ['from', 'target', 'delivery'] },
  ),
  [`${TRIGGERS}.TriggerFrom`]: s.object<TriggerFrom>(
    'The followed ImageStreamTag.',
    {
      kind: s.string('Kind of the referent: ImageStreamTag.', { enum: ['ImageStreamTag'] }),
      name: s.string('`<stream>:<tag>`.'),
      namespace: s.string("Namespace of the stream; empty = the trigger's namespace."),
    },
    {},
    { required: ['kind', 'name'], 'x-kubernetes-map-type': 'atomic' },
  ),
  [`${TRIGGERS}.TriggerTarget`]: s.object<TriggerTarget>(
    'The dependent the event is about.',
    {
      kind: s.string('Build, Deployment or Webhook.', { enum: ['Build', 'Deployment', 'Webhook'] }),
      name: s.string("Name of the dependent (for Deployment: a Deployment in the trigger's namespace)."),
      containerNames: s.array(
        s.string(''),
        'Containers whose image the patch in the event sets (when fieldPath is not given).',
        {
          'x-kubernetes-list-type': 'atomic',
        },
      ),
      fieldPath: s.string(
        'The container image the patch in the event sets, in the grammar of image.openshift.io/triggers annotations: `[<path>.]containers[<index>|?(@.name=="<name>")].image` (or initContainers); for a Deployment target the path is `spec.template.spec`.',
      ),
    },
    {},
    { required: ['kind', 'name'] },
  ),
  [`${TRIGGERS}.TriggerDelivery`]: s.object<TriggerDelivery>(
    'Where events are POSTed, signed with the referenced TriggerSecret (Standard Webhooks).',
    {
      url: s.string(
        'An absolute http(s) URL without credentials; private, loopback and link-local addresses are refused unless allow-listed.',
      ),
      secretRef: s.ref(
        `${TRIGGERS}.SecretReference`,
        'The TriggerSecret (same namespace) whose keys sign every delivery. Required.',
      ),
      headers: s.stringMap(
        'Extra request headers (the Standard Webhooks and content headers are set by the server).',
      ),
      contentMode: s.string(
        'CloudEvents HTTP content mode: structured (default; the event is the body, application/cloudevents+json) or binary (the event data is the body, its attributes are ce-* headers). Both are signed over the body sent.',
        { enum: ['structured', 'binary'] },
      ),
    },
    {},
    { required: ['url', 'secretRef'] },
  ),
  [`${TRIGGERS}.SecretReference`]: s.object<{ name: string }>(
    'A reference to a TriggerSecret in the same namespace.',
    { name: s.string('Name of the TriggerSecret.') },
    {},
    { required: ['name'], 'x-kubernetes-map-type': 'atomic' },
  ),
  [`${TRIGGERS}.TriggerStatus`]: s.object<TriggerStatus>('What the trigger last fired for.', {
    lastTriggeredImageID: s.string('Digest of the image of the last fire.'),
    lastTriggeredImage: s.string('Pull spec of the image of the last fire.'),
    lastTriggeredTime: s.time('When it last fired.'),
    lastTriggeredChangeID: s.string('Id of the tag move (tag change feed) that last fired.'),
    observedGeneration: s.int64('The spec generation the status reflects.'),
    conditions: s.array(
      s.ref(`${TRIGGERS}.TriggerCondition`),
      'Triggered, DeadLettered, OlderImageIgnored, ChainStopped, …',
      {
        'x-kubernetes-patch-merge-key': 'type',
        'x-kubernetes-patch-strategy': 'merge',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      },
    ),
  }),
  [`${TRIGGERS}.TriggerCondition`]: s.object<TriggerCondition>(
    'One condition of a trigger, a Kubernetes metav1.Condition.',
    {
      type: s.string('Type of the condition, in CamelCase.'),
      status: s.string('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
      observedGeneration: s.int64(
        'The metadata.generation the condition was set from: when older than the current generation, the condition is out of date.',
      ),
      reason: s.string('One-word CamelCase reason for the last transition. Never empty.'),
      message: s.string('Human readable details (may be empty).'),
      lastTransitionTime: s.time('When the status last changed.'),
    },
    {},
    { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
  ),

  [`${TRIGGERS}.TriggerSecret`]: kind<TriggerSecret>(
    'TriggerSecret',
    'A write-only signing secret for Triggers: reads show only dataKeys (the last-applied annotation kubectl apply writes is stored with every value redacted).',
    {
      metadata: objectMeta,
      data: s.stringMap(
        'key (required on create): the signing secret in Standard Webhooks form, base64 of 24 to 64 random bytes, optionally prefixed with `whsec_`. previousKey: the secret being rotated out; while set, deliveries carry a signature for each. header.<Name>: a header (a receiver credential) sent with every delivery signed by this secret. No other keys. Never served; an update without data keeps the stored keys.',
      ),
      dataKeys: s.array(s.string(''), 'Which data keys are set (output only).', {
        'x-kubernetes-list-type': 'atomic',
      }),
    },
  ),
  [`${TRIGGERS}.TriggerSecretList`]: list(
    'TriggerSecretList',
    'TriggerSecret',
    'TriggerSecretList is a list of TriggerSecret objects.',
  ),

  [`${TRIGGERS}.Delivery`]: kind<Delivery>(
    'Delivery',
    'A Delivery (read-only) is one fire of a Trigger or annotated workload: the CloudEvent and every HTTP attempt. Its name is the webhook-id.',
    {
      metadata: objectMeta,
      spec: s.ref(`${TRIGGERS}.DeliverySpec`, 'What is delivered, for whom.'),
      status: s.ref(`${TRIGGERS}.DeliveryStatus`, 'Where the delivery stands.'),
    },
  ),
  [`${TRIGGERS}.DeliveryList`]: list(
    'DeliveryList',
    'Delivery',
    'DeliveryList is a list of Delivery objects.',
  ),
  [`${TRIGGERS}.DeliverySpec`]: s.object<DeliverySpec>(
    'DeliverySpec is what a Delivery sends and on whose behalf; the server sets it once.',
    {
      owner: s.object<DeliverySpec['owner']>('The Trigger or annotated workload that fired.', {
        kind: s.string('Trigger, or the workload kind.'),
        name: s.string('Name of the owner.'),
        uid: s.string('UID of the owner.'),
      }),
      idempotencyKey: s.string('Owner uid + image digest (+ the rollback move): one delivery per effect.'),
      image: s.string('Digest of the image the fire is for.'),
      url: s.string('Where it is POSTed.'),
      event: s.raw('The CloudEvent POSTed, byte-identical on every attempt.'),
    },
  ),
  [`${TRIGGERS}.DeliveryStatus`]: s.object<DeliveryStatus>(
    'DeliveryStatus is the state of a Delivery and the history of its HTTP attempts.',
    {
      state: s.string('pending, delivered, dead, or applied (annotated workloads).'),
      redriveGeneration: s.int64('1, plus one per redrive.'),
      attempts: s.int32('Attempts of this redrive generation.'),
      lastStatusCode: s.int32('HTTP status of the last attempt.'),
      lastError: s.string('Why the last attempt failed.'),
      nextAttemptTime: s.time('When the next attempt is due (pending only).'),
      deliveredTime: s.time('When a receiver accepted it.'),
      deadLetteredTime: s.time('When it ran out of attempts or failed permanently.'),
      attemptHistory: s.array(s.ref(`${TRIGGERS}.DeliveryAttempt`), 'Every attempt, oldest first.', {
        'x-kubernetes-list-type': 'atomic',
      }),
    },
  ),
  [`${TRIGGERS}.DeliveryAttempt`]: s.object<DeliveryAttempt>(
    'DeliveryAttempt is one HTTP POST of a Delivery and how it ended.',
    {
      generation: s.int64('Redrive generation of the attempt.'),
      attempt: s.int32('Attempt number within the generation.'),
      startedAt: s.time('When it started (RFC 3339 UTC, microseconds).'),
      finishedAt: s.time(
        'When it ended; null while in flight (an attempt a worker crash cut short, or whose outcome could not be recorded before its claim lease ran out, is closed as interrupted).',
      ),
      statusCode: s.int32('HTTP status the receiver answered.'),
      latencyMs: s.int32('Duration of the whole attempt in milliseconds.'),
      error: s.string('Why it failed.'),
    },
  ),
};
