import type { ListMeta, ObjectMeta, Status, StatusCause, StatusDetails } from '@app/api-machinery';
import { type Schema, s } from './schema';

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const CORE = 'io.k8s.api.core.v1';

const kindField = s.string('Kind is a string value representing the REST resource this object represents. In CamelCase.');
const apiVersionField = s.string('APIVersion defines the versioned schema of this representation of an object.');

/** `kind` and `apiVersion`, which every top-level object carries. */
export const typeMetaFields = { kind: kindField, apiVersion: apiVersionField };

/** Wire fields of ObjectMeta kept as written (ownerReferences) or maintained by the server (managedFields). */
const objectMetaExtra: Record<string, Schema> = {
  ownerReferences: s.array(s.ref(`${META}.OwnerReference`), 'Objects depended on by this object.', {
    'x-kubernetes-patch-merge-key': 'uid',
    'x-kubernetes-patch-strategy': 'merge',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['uid'],
  }),
  managedFields: s.array(s.ref(`${META}.ManagedFieldsEntry`), 'Field ownership: which manager (fieldManager of a write, or an applier) owns which fields. Maintained by the server; see server-side apply.', {
    'x-kubernetes-list-type': 'atomic',
  }),
};

export const metaSchemas: Record<string, Schema> = {
  [`${META}.ObjectMeta`]: s.object<ObjectMeta>(
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
    {
      name: s.string('Name must be unique within a namespace. Cannot be updated.'),
      generateName: s.string('Prefix the server uses to generate a unique name when name is not provided.'),
      namespace: s.string('The namespace the object belongs to; empty for cluster-scoped objects.'),
      uid: s.string('Unique in time and space, set by the server on creation; never reused.'),
      selfLink: s.string('Deprecated: accepted on writes, never stored or returned.'),
      resourceVersion: s.string(
        'An opaque value (a decimal integer here) that changes on every write: clients use it for optimistic concurrency, change detection and watch.',
      ),
      generation: s.int64('A sequence number representing a specific generation of the desired state (image streams: the spec).'),
      creationTimestamp: s.time('When the object was created (RFC3339, UTC, second precision).'),
      deletionTimestamp: s.time('When the object will be deleted; set by the server when a delete waits for finalizers.'),
      deletionGracePeriodSeconds: s.int64('Seconds allowed for graceful termination before the object is removed (0 here: removal waits only for finalizers).'),
      finalizers: s.array(s.string(''), 'Must be empty before the object is deleted from the registry.', {
        'x-kubernetes-patch-strategy': 'merge',
        'x-kubernetes-list-type': 'set',
      }),
      labels: s.stringMap('Map of string keys and values used to organize and select objects (label selectors).'),
      annotations: s.stringMap('Unstructured key value map stored with the object; not queryable.'),
    },
    objectMetaExtra,
  ),
  [`${META}.ListMeta`]: s.object<ListMeta>(
    'ListMeta describes metadata that synthetic resources must have, including lists.',
    {
      resourceVersion: s.string('The version of the list: a watch from it sees every later change.'),
      continue: s.string('Set when the list is limited: pass it as `continue` to read the next page.'),
      remainingItemCount: s.int64('Number of items after this page (when known).'),
    },
    { selfLink: s.string('Deprecated: not set by this server.') },
  ),
  [`${META}.OwnerReference`]: {
    type: 'object',
    description: 'Information that lets you identify an owning object.',
    required: ['apiVersion', 'kind', 'name', 'uid'],
    properties: {
      apiVersion: s.string('API version of the referent.'),
      kind: s.string('Kind of the referent.'),
      name: s.string('Name of the referent.'),
      uid: s.string('UID of the referent.'),
      controller: s.boolean('If true, this reference points to the managing controller.'),
      blockOwnerDeletion: s.boolean('If true, the owner cannot be deleted before this object is removed.'),
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${META}.ManagedFieldsEntry`]: {
    type: 'object',
    description: 'A workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.',
    properties: {
      apiVersion: s.string('Version of the resource this field set applies to.'),
      fieldsType: s.string('Format of the fields field.'),
      fieldsV1: s.raw('The field set.'),
      manager: s.string('The workflow managing these fields.'),
      operation: s.string('Apply or Update.'),
      subresource: s.string('Subresource used to update the object.'),
      time: s.time('When these fields were set.'),
    },
  },
  [`${META}.Status`]: s.object<Omit<Status, 'kind' | 'apiVersion'>>(
    'Status is a return value for calls that do not return other objects (errors, deletes).',
    {
      metadata: s.ref(`${META}.ListMeta`, 'Standard list metadata.'),
      status: s.string('"Success" or "Failure".'),
      message: s.string('A human-readable description of the status of this operation.'),
      reason: s.string('A machine-readable description of why this operation is in the "Failure" status.'),
      details: s.ref(`${META}.StatusDetails`, 'Extended data associated with the reason.'),
      code: s.int32('Suggested HTTP return code for this status.'),
    },
    typeMetaFields,
  ),
  [`${META}.StatusDetails`]: s.object<StatusDetails>('Details about a failed or successful operation.', {
    name: s.string('The name attribute of the resource associated with the status.'),
    group: s.string('The group attribute of the resource associated with the status.'),
    kind: s.string('The kind attribute of the resource associated with the status.'),
    uid: s.string('UID of the resource.'),
    causes: s.array(s.ref(`${META}.StatusCause`), 'The causes of the error, one per field error.', { 'x-kubernetes-list-type': 'atomic' }),
    retryAfterSeconds: s.int32('Seconds before the client should retry.'),
  }),
  [`${META}.StatusCause`]: s.object<StatusCause>('Information about one cause of a failure.', {
    reason: s.string('A machine-readable description of the cause of the error.'),
    message: s.string('A human-readable description of the cause of the error.'),
    field: s.string('The field of the resource that caused the error, e.g. `spec.tags[latest].from.name`.'),
  }),
  [`${META}.Patch`]: { type: 'object', description: 'A patch document (JSON patch, merge patch or strategic merge patch).' },
  [`${META}.Preconditions`]: {
    type: 'object',
    description: 'Conditions that must be met before a delete happens.',
    properties: { uid: s.string('Target UID.'), resourceVersion: s.string('Target resourceVersion.') },
  },
  [`${META}.DeleteOptions`]: {
    type: 'object',
    description: 'Options for a delete.',
    properties: {
      ...typeMetaFields,
      dryRun: s.array(s.string(''), 'When present, the delete is not persisted ("All").'),
      gracePeriodSeconds: s.int64('Ignored by this server.'),
      orphanDependents: s.boolean('Deprecated: true is propagationPolicy Orphan, false is Background.'),
      propagationPolicy: s.string('Orphan keeps the dependents (their ownerReference to the object goes); Background (the default) and Foreground delete them after the object.'),
      preconditions: s.ref(`${META}.Preconditions`, 'Must be fulfilled before a deletion is carried out.'),
    },
  },
  [`${CORE}.ObjectReference`]: {
    type: 'object',
    description: 'A reference to another object.',
    properties: {
      kind: s.string('Kind of the referent: DockerImage, ImageStreamTag or ImageStreamImage in tag references.'),
      name: s.string('Name of the referent: a pull spec, `<tag>`/`<stream>:<tag>`, or `<id>`/`<stream>@<id>`.'),
      namespace: s.string('Namespace of the referent (image stream references only; empty = this stream\'s namespace).'),
      uid: s.string('UID of the referent.'),
      apiVersion: s.string('API version of the referent.'),
      resourceVersion: s.string('Specific resourceVersion to which this reference is made, if any.'),
      fieldPath: s.string('A piece of an object instead of an entire object.'),
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${CORE}.Secret`]: {
    type: 'object',
    description: 'A Secret (this server keeps none).',
    properties: {
      ...typeMetaFields,
      metadata: s.ref(`${META}.ObjectMeta`, 'Standard object metadata.'),
      data: s.map(s.bytes(''), 'Secret data, base64 encoded.'),
      stringData: s.stringMap('Write-only convenience form of data.'),
      type: s.string('Used to facilitate programmatic handling of secret data.'),
      immutable: s.boolean('If true, the data cannot be updated.'),
    },
  },
  [`${CORE}.SecretList`]: {
    type: 'object',
    description: 'A list of Secrets.',
    required: ['items'],
    properties: {
      ...typeMetaFields,
      metadata: s.ref(`${META}.ListMeta`, 'Standard list metadata.'),
      items: s.array(s.ref(`${CORE}.Secret`), 'Items is a list of secret objects.'),
    },
  },
  [`${CORE}.Namespace`]: {
    type: 'object',
    description: 'Namespace provides a scope for Names. Every name is usable here; a created Namespace can be labelled, listed and deleted (with everything in it).',
    properties: {
      ...typeMetaFields,
      metadata: s.ref(`${META}.ObjectMeta`, 'Standard object metadata.'),
      spec: s.ref(`${CORE}.NamespaceSpec`, 'Spec defines the behavior of the Namespace.'),
      status: s.ref(`${CORE}.NamespaceStatus`, 'Status describes the current status of a Namespace (set by the server).'),
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'Namespace', version: 'v1' }],
  },
  [`${CORE}.NamespaceSpec`]: {
    type: 'object',
    description: 'NamespaceSpec describes the attributes on a Namespace.',
    properties: {
      finalizers: s.array(s.string(''), 'Finalizers is an opaque list of values that must be empty to permanently remove the object from storage.', {
        'x-kubernetes-list-type': 'atomic',
      }),
    },
  },
  [`${CORE}.NamespaceStatus`]: {
    type: 'object',
    description: 'NamespaceStatus is information about the current status of a Namespace.',
    properties: {
      phase: s.string('Phase is the current lifecycle phase of the namespace: Active or Terminating.', { enum: ['Active', 'Terminating'] }),
      conditions: s.array(s.raw('A namespace condition.'), 'Represents the latest available observations of a namespace\'s current state.'),
    },
  },
  [`${CORE}.NamespaceList`]: {
    type: 'object',
    description: 'NamespaceList is a list of Namespaces.',
    required: ['items'],
    properties: {
      ...typeMetaFields,
      metadata: s.ref(`${META}.ListMeta`, 'Standard list metadata.'),
      items: s.array(s.ref(`${CORE}.Namespace`), 'Items is the list of Namespace objects in the list.'),
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'NamespaceList', version: 'v1' }],
  },
};
