import { META } from './meta-schemas';
import { kindSchemas } from './kind-schemas';
import { type Schema, s } from './schema';
import { TRIGGERS } from './trigger-schemas';

const { kind, list } = kindSchemas('triggers.imagestreamd.io', 'v1', TRIGGERS);
const objectMeta = s.ref(`${META}.ObjectMeta`, 'Standard object metadata.');

/**
 * Their handlers check what they accept (an unknown redrive field is a 422, never dropped), so these
 * schemas only document the fields for `kubectl explain`: server-side field validation uses
 * `triggerActionValidationSchemas` instead, and clients validating from the documents keep every field.
 */
const checkedByHandler = { 'x-kubernetes-preserve-unknown-fields': true } as const;

/** Fields of an action kind: what the request asks and what the answer says. */
interface ActionFields {
  metadata: unknown;
  spec: unknown;
  status: unknown;
}
interface TagChangeEventFields {
  metadata: unknown;
  type: unknown;
  stream: unknown;
  tag: unknown;
  from: unknown;
  to: unknown;
  dockerImageReference: unknown;
  cause: unknown;
}

function withOptions(schema: Schema, options: Partial<Schema>): Schema {
  return { ...schema, ...options };
}

/**
 * Schemas of the triggers.imagestreamd.io kinds that are not stored: the create-only actions
 * (DeliveryRedrive, PushPreview) and the tag-change feed (TagChangeEvent), so that
 * `kubectl explain` describes every kind the group serves.
 */
export const triggerActionSchemas: Record<string, Schema> = {
  [`${TRIGGERS}.DeliveryRedrive`]: withOptions(
    kind<ActionFields>(
      'DeliveryRedrive',
      'A DeliveryRedrive (create only, never stored) sends dead-lettered deliveries again: those of one delivery, of one trigger, or (empty spec) of the whole namespace.',
      {
        metadata: objectMeta,
        spec: s.object<{ delivery: unknown; trigger: unknown }>(
          "Which dead letters to redrive: one delivery, every one of one trigger, or (neither given) every one in the namespace. Given both, the delivery must be that trigger's (422 otherwise).",
          {
            delivery: s.string('Name of one Delivery (its webhook-id).'),
            trigger: s.string('Name of one Trigger: every dead delivery it owns.'),
          },
        ),
        status: s.object<{ redriven: unknown; reenabled: unknown; superseded: unknown }>(
          'What the redrive did (set by the server).',
          {
            redriven: s.array(s.string(''), 'Names of the deliveries sent again.', {
              'x-kubernetes-list-type': 'atomic',
            }),
            reenabled: s.array(
              s.string(''),
              'Names of the Triggers whose endpoint, disabled by a 410 Gone, this redrive re-enabled.',
              { 'x-kubernetes-list-type': 'atomic' },
            ),
            superseded: s.array(
              s.string(''),
              'Names of the dead deliveries a trigger-wide or namespace-wide redrive left dead because a later fire of their owner was delivered or is being sent (replaying them would move the receiver back to an older image); name one in spec.delivery to send it anyway.',
              { 'x-kubernetes-list-type': 'atomic' },
            ),
          },
        ),
      },
    ),
    checkedByHandler,
  ),
  [`${TRIGGERS}.DeliveryRedriveList`]: list(
    'DeliveryRedriveList',
    'DeliveryRedrive',
    'DeliveryRedriveList is a list of DeliveryRedrive objects.',
  ),
  [`${TRIGGERS}.PushPreview`]: withOptions(
    kind<ActionFields>(
      'PushPreview',
      'A PushPreview (create only, no side effect) says what a push of an image to the ImageStreamTag named by metadata.name (<stream>:<tag>) would fire: the Triggers and annotated workloads following it and what each would receive.',
      {
        metadata: objectMeta,
        spec: s.object<{ image: unknown; dockerImageReference: unknown }>('The hypothetical push.', {
          image: s.string('Digest of the image being pushed. Required.'),
          dockerImageReference: s.string(
            'Exact pull spec of the image (default: from the tag repository and the digest).',
          ),
        }),
        status: s.object<{ streamFound: unknown; triggers: unknown; workloads: unknown }>(
          'What would happen (set by the server).',
          {
            streamFound: s.boolean('Whether the image stream exists yet (a first push creates it).'),
            triggers: s.array(
              s.raw(
                'namespace, name, tag, wouldFire, reason, and when it would fire: deliveryId, idempotencyKey, url, event (the CloudEvent).',
              ),
              'Every Trigger following the tag or one of its aliases.',
              {
                'x-kubernetes-list-type': 'atomic',
              },
            ),
            workloads: s.array(
              s.raw(
                'kind, namespace, name, tag, fieldPath, wouldFire, reason, patch (the JSON patch), deliveryId, idempotencyKey, event.',
              ),
              'Every image.openshift.io/triggers annotation entry following the tag or one of its aliases.',
              {
                'x-kubernetes-list-type': 'atomic',
              },
            ),
          },
        ),
      },
    ),
    checkedByHandler,
  ),
  [`${TRIGGERS}.PushPreviewList`]: list(
    'PushPreviewList',
    'PushPreview',
    'PushPreviewList is a list of PushPreview objects.',
  ),
  [`${TRIGGERS}.TagChangeEvent`]: kind<TagChangeEventFields>(
    'TagChangeEvent',
    'A TagChangeEvent (read only) is one change of an image stream tag (a move, or the loss of its image), from the pull feed: list it in commit order and resume with continue=<the list resourceVersion>, or watch it.',
    {
      metadata: objectMeta,
      type: s.string(
        'What happened to the tag: tag.created (first image), tag.moved, or tag.deleted (the tag, its last history entry or its stream was deleted: it has no image now).',
      ),
      stream: s.string('Name of the image stream.'),
      tag: s.string('Name of the tag.'),
      from: s.string(
        'Digest the tag pointed at before (null for a new tag; for tag.deleted, the image it lost).',
      ),
      to: s.string('Digest the tag points at now (null for tag.deleted).'),
      dockerImageReference: s.string('Pull spec of the new image (null for tag.deleted).'),
      cause: s.string('What changed the tag: registry, mapping, alias, import, spec, status, delete, ...'),
    },
  ),
  [`${TRIGGERS}.TagChangeEventList`]: list(
    'TagChangeEventList',
    'TagChangeEvent',
    'TagChangeEventList is a list of TagChangeEvent objects.',
  ),
};

/** What field validation holds a create-only kind's body to: the envelope and metadata, as kube's decoder. */
function envelopeOnly(schema: Schema): Schema {
  // spec and status are the handler's to check (a dropped redrive field would widen the redrive).
  const opaque: Schema = { 'x-kubernetes-preserve-unknown-fields': true };
  const { 'x-kubernetes-preserve-unknown-fields': _documentedOnly, ...rest } = schema;
  return { ...rest, properties: { ...schema.properties, spec: opaque, status: opaque } };
}

/**
 * Server-side field validation of DeliveryRedrive and PushPreview bodies (OpenApiDocuments.schemaOf):
 * an undeclared top-level or metadata field is refused (Strict), warned about and dropped (Warn) or
 * dropped (Ignore), as kube-apiserver's decoder treats every kind, create-only reviews included.
 */
export const triggerActionValidationSchemas: Record<string, Schema> = {
  [`${TRIGGERS}.DeliveryRedrive`]: envelopeOnly(triggerActionSchemas[`${TRIGGERS}.DeliveryRedrive`]!),
  [`${TRIGGERS}.PushPreview`]: envelopeOnly(triggerActionSchemas[`${TRIGGERS}.PushPreview`]!),
};
