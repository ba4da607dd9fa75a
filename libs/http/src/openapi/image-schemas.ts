import { dockerImageMetadataSchema } from './docker-image-schema';
import type {
  Image,
  ImageBlobReferences,
  ImageLayer,
  ImageLayerData,
  ImageManifest,
  ImageStream,
  ImageStreamImage,
  ImageImportSpec,
  ImageImportStatus,
  ImageStreamImport,
  ImageStreamImportSpec,
  ImageStreamImportStatus,
  ImageStreamLayers,
  ImageStreamMapping,
  ImageStreamSpec,
  ImageStreamStatus,
  ImageStreamTag,
  ImageTag,
  NamedTagEventList,
  TagEvent,
  TagEventCondition,
  TagImportPolicy,
  TagReference,
  TagReferencePolicy,
  RepositoryImportSpec,
  RepositoryImportStatus,
} from '@app/image';
import { CORE, META, typeMetaFields } from './meta-schemas';
import { kindSchemas } from './kind-schemas';
import { type Schema, s } from './schema';

export const IMAGE = 'com.github.openshift.api.image.v1';
const GROUP = 'image.openshift.io';
const VERSION = 'v1';

const { kind, list } = kindSchemas(GROUP, VERSION, IMAGE);

const objectMeta = s.ref(`${META}.ObjectMeta`, 'Standard object metadata.');
const mergeBy = (key: string): Partial<Schema> => ({
  'x-kubernetes-patch-merge-key': key,
  'x-kubernetes-patch-strategy': 'merge',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': [key],
});

/** ImageSignature: an item of Image.signatures and the kind of the `imagesignatures` resource. */
const imageSignature: Schema = {
  type: 'object',
  description:
    'ImageSignature holds a signature of an image, named `<imageName>@<signatureName>`. Stored in Image.signatures; written one at a time through the imagesignatures resource (create, delete).',
  required: ['type', 'content'],
  'x-kubernetes-group-version-kind': [{ group: GROUP, kind: 'ImageSignature', version: VERSION }],
  properties: {
    ...typeMetaFields,
    metadata: objectMeta,
    type: s.string('Describes the type of stored blob, e.g. "AtomicImageV1".'),
    content: s.bytes('The opaque blob of the signature, base64 encoded.'),
    conditions: s.array(s.ref(`${IMAGE}.SignatureCondition`), 'Conditions of the signature (set by verifiers).', mergeBy('type')),
    imageIdentity: s.string('A human readable string representing the reference to the signed image.'),
    signedClaims: s.stringMap('Claims of the signature.'),
    created: s.time('When the signature was created.'),
    issuedBy: s.ref(`${IMAGE}.SignatureIssuer`, 'Who signed the image.'),
    issuedTo: s.ref(`${IMAGE}.SignatureSubject`, 'To whom the signature was issued.'),
  },
};

/** The image.openshift.io/v1 schemas, property for property as this server serves them. */
export const imageSchemas: Record<string, Schema> = {
  [`${IMAGE}.Image`]: kind<Image>(
    'Image',
    'Image is an immutable representation of a container image and metadata at a point in time, named by its manifest digest. Cluster scoped.',
    {
      metadata: objectMeta,
      dockerImageReference: s.string('The string that can be used to pull this image.'),
      dockerImageMetadata: s.raw('The image config as a DockerImage document (Id is the config digest for schema2/OCI images).', dockerImageMetadataSchema),
      dockerImageMetadataVersion: s.string('The version of the metadata object ("1.0").'),
      dockerImageManifest: s.string('The raw JSON of the manifest (usually not stored: the registry keeps it).'),
      dockerImageLayers: s.array(s.ref(`${IMAGE}.ImageLayer`), 'The layers in this image, base layer first.', { 'x-kubernetes-list-type': 'atomic' }),
      signatures: s.array(s.ref(`${IMAGE}.ImageSignature`), 'Signatures of the image.', mergeBy('name')),
      dockerImageSignatures: s.array(s.bytes(''), 'Signatures as opaque blobs (schema1 images).', { 'x-kubernetes-list-type': 'atomic' }),
      dockerImageManifestMediaType: s.string('The media type of the manifest, e.g. application/vnd.oci.image.manifest.v1+json.'),
      dockerImageConfig: s.string('The raw JSON of the image config (usually not stored).'),
      dockerImageManifests: s.array(s.ref(`${IMAGE}.ImageManifest`), 'The children of a manifest list or image index.', {
        'x-kubernetes-list-type': 'atomic',
      }),
    },
  ),
  [`${IMAGE}.ImageList`]: list('ImageList', 'Image', 'ImageList is a list of Image objects.'),
  [`${IMAGE}.ImageLayer`]: s.object<ImageLayer>(
    'ImageLayer represents a single layer of the image.',
    {
      name: s.string('Name of the layer as defined by the underlying store (its digest).'),
      size: s.int64('Size of the layer in bytes as defined by the underlying store.'),
      mediaType: s.string('MediaType of the referenced object.'),
    },
    {},
    { required: ['name', 'size', 'mediaType'] },
  ),
  [`${IMAGE}.ImageManifest`]: s.object<ImageManifest>(
    'ImageManifest represents sub-manifests of a manifest list.',
    {
      digest: s.string('Unique identifier for the manifest; it refers to an Image object.'),
      mediaType: s.string('The media type of the manifest.'),
      manifestSize: s.int64('The size of the raw manifest in bytes.'),
      architecture: s.string('The CPU architecture the image runs on.'),
      os: s.string('The operating system the image runs on.'),
      variant: s.string('An optional field representing a variant of the CPU, e.g. v6 for ARMv6.'),
    },
    {},
    { required: ['digest', 'mediaType', 'manifestSize', 'architecture', 'os'] },
  ),
  [`${IMAGE}.ImageSignature`]: imageSignature,
  [`${IMAGE}.SignatureCondition`]: {
    type: 'object',
    description: 'Describes an image signature condition of a particular kind at a particular probe time.',
    required: ['type', 'status'],
    properties: {
      type: s.string('Type of signature condition: Trusted, ForImage, Expired or Revoked.'),
      status: s.string('Status of the condition: True, False or Unknown.'),
      lastProbeTime: s.time('Last time the condition was checked.'),
      lastTransitionTime: s.time('Last time the condition transitioned.'),
      reason: s.string('Unique, one-word, CamelCase reason for the last transition.'),
      message: s.string('Human readable message about the last transition.'),
    },
  },
  [`${IMAGE}.SignatureIssuer`]: {
    type: 'object',
    description: 'The entity that signed the image.',
    properties: { organization: s.string('Organization name.'), commonName: s.string('Common name (e.g. openshift-signing-service).') },
  },
  [`${IMAGE}.SignatureSubject`]: {
    type: 'object',
    description: 'The image signature subject.',
    required: ['publicKeyID'],
    properties: {
      organization: s.string('Organization name.'),
      commonName: s.string('Common name.'),
      publicKeyID: s.string('The fingerprint of the public key.'),
    },
  },

  [`${IMAGE}.ImageStream`]: kind<ImageStream>(
    'ImageStream',
    'An ImageStream stores a mapping of tags to images, metadata overrides applied when images are tagged, and an optional reference to a container image repository. Users push to it through the registry, or tag images into it.',
    {
      metadata: objectMeta,
      spec: s.ref(`${IMAGE}.ImageStreamSpec`, 'Spec describes the desired state of this stream.'),
      status: s.ref(`${IMAGE}.ImageStreamStatus`, 'Status describes the current state of this stream (computed by the server).'),
    },
    // spec is optional upstream: kubectl validates List items on the client, and `{kind: ImageStream, metadata: {name}}` is valid.
  ),
  [`${IMAGE}.ImageStreamList`]: list('ImageStreamList', 'ImageStream', 'ImageStreamList is a list of ImageStream objects.'),
  [`${IMAGE}.ImageStreamSpec`]: s.object<ImageStreamSpec>('ImageStreamSpec represents options for ImageStreams.', {
    lookupPolicy: s.ref(
      `${IMAGE}.ImageLookupPolicy`,
      'lookupPolicy controls how other resources reference images within this namespace (short names resolved through the stream).',
    ),
    dockerImageRepository: s.string(
      'Deprecated: an optional, whole-repository import source (no tag or digest). Use tags with from.kind DockerImage instead.',
    ),
    tags: s.array(
      s.ref(`${IMAGE}.TagReference`),
      'tags map arbitrary string values to specific image locators: each spec tag says where the tag\'s image comes from (a pull spec, another tag, or an image of a stream). Merged by name.',
      mergeBy('name'),
    ),
  }),
  [`${IMAGE}.ImageLookupPolicy`]: s.object<{ local: boolean }>(
    'ImageLookupPolicy describes how an image stream can be used to override the image references used by pods, builds, and other resources in a namespace.',
    {
      local: s.boolean(
        'local will change the container image name field of pods in this namespace to the image this stream\'s tag points at, when the name is a single segment matching a stream tag.',
      ),
    },
    {},
    { required: ['local'] },
  ),
  [`${IMAGE}.TagReference`]: s.object<TagReference>(
    'TagReference specifies optional annotations for images using this tag and an optional reference to an ImageStreamTag, ImageStreamImage, or DockerImage this tag should track.',
    {
      name: s.string('Name of the tag.'),
      annotations: s.stringMap('Optional; if specified, annotations that are applied to images retrieved via ImageStreamTags.'),
      from: s.ref(
        `${CORE}.ObjectReference`,
        'Optional; if specified, a reference to another image that this tag should point to. Valid values are ImageStreamTag, ImageStreamImage, and DockerImage. ImageStreamTag references can only reference a tag within this same ImageStream.',
      ),
      reference: s.boolean('Reference states if the tag will be imported. true means the tag is not imported: `from` is recorded as is.'),
      generation: s.int64(
        'Generation is a counter that tracks mutations to the spec tag (user intent). When the tag reference is changed the generation is set to match the current stream generation. Set it to 0 to ask for a re-import.',
      ),
      importPolicy: s.ref(`${IMAGE}.TagImportPolicy`, 'ImportPolicy is information that controls how images may be imported by the server.'),
      referencePolicy: s.ref(
        `${IMAGE}.TagReferencePolicy`,
        'ReferencePolicy defines how other components should consume the image (Source: the original pull spec; Local: through the integrated registry).',
      ),
    },
    {},
    { required: ['name'] },
  ),
  [`${IMAGE}.TagImportPolicy`]: s.object<TagImportPolicy>('TagImportPolicy controls how images related to this tag will be imported.', {
    insecure: s.boolean('Insecure is true if the server may bypass certificate verification or connect directly over HTTP during image import.'),
    scheduled: s.boolean('Scheduled indicates to the server that this tag should be periodically checked to ensure it is up to date, and imported.'),
    importMode: s.string('ImportMode describes how to import an image manifest: Legacy (one platform) or PreserveOriginal (the whole list).', {
      enum: ['Legacy', 'PreserveOriginal'],
    }),
  }),
  [`${IMAGE}.TagReferencePolicy`]: s.object<TagReferencePolicy>(
    'TagReferencePolicy describes how pull-specs for images in this image stream tag are generated when image change triggers in deployment configs or builds are resolved.',
    {
      type: s.string(
        'Type determines how the image pull spec should be transformed when the image stream tag is used: Source uses the original location; Local uses <status.dockerImageRepository>@<digest>.',
        { enum: ['Local', 'Source'] },
      ),
    },
    {},
    { required: ['type'] },
  ),
  [`${IMAGE}.ImageStreamStatus`]: s.object<ImageStreamStatus>(
    'ImageStreamStatus contains information about the state of this image stream.',
    {
      dockerImageRepository: s.string('The pull spec of the stream in the integrated registry (computed).'),
      publicDockerImageRepository: s.string('The public pull spec of the stream, when a public registry hostname is configured.'),
      tags: s.array(s.ref(`${IMAGE}.NamedTagEventList`), 'Tags are a historical record of images associated with each tag. The first entry is the current image.', mergeBy('tag')),
    },
    {},
  ),
  [`${IMAGE}.NamedTagEventList`]: s.object<NamedTagEventList>(
    'NamedTagEventList relates a tag to its image history.',
    {
      tag: s.string('Tag is the tag for which the history is recorded.'),
      items: s.array(s.ref(`${IMAGE}.TagEvent`), 'The history, newest first.', { 'x-kubernetes-list-type': 'atomic' }),
      // No patch merge key upstream (openshift/api image/v1 NamedTagEventList): one value, replaced whole.
      conditions: s.array(s.ref(`${IMAGE}.TagEventCondition`), 'Conditions is an array of conditions that apply to the tag event list.', { 'x-kubernetes-list-type': 'atomic' }),
    },
    {},
    { required: ['tag', 'items'] },
  ),
  [`${IMAGE}.TagEvent`]: s.object<TagEvent>(
    'TagEvent is used by ImageStreamStatus to keep a historical record of images associated with a tag.',
    {
      created: s.time('Created holds the time the TagEvent was created.'),
      dockerImageReference: s.string('DockerImageReference is the string that can be used to pull this image.'),
      image: s.string('Image is the image (digest) this event points at; empty for reference tags.'),
      generation: s.int64('Generation is the spec tag generation that resulted in this tag being updated.'),
    },
    {},
    { required: ['created', 'dockerImageReference', 'image', 'generation'] },
  ),
  [`${IMAGE}.TagEventCondition`]: s.object<TagEventCondition>(
    'TagEventCondition contains condition information for a tag event.',
    {
      type: s.string('Type of tag event condition, currently only ImportSuccess.'),
      status: s.string('Status of the condition, one of True, False, Unknown.'),
      lastTransitionTime: s.time('LastTransitionTIme is the time the condition transitioned from one status to another.'),
      reason: s.string('Reason is a brief machine readable explanation for the condition\'s last transition.'),
      message: s.string('Message is a human readable description of the details about last transition, complementing reason.'),
      generation: s.int64('Generation is the spec tag generation that this status corresponds to.'),
    },
    {},
    { required: ['type', 'status', 'generation'] },
  ),

  [`${IMAGE}.ImageStreamTag`]: kind<ImageStreamTag>(
    'ImageStreamTag',
    'ImageStreamTag represents an Image that is retrieved by tag name from an ImageStream (`<stream>:<tag>`). Use it to tag an image into a stream, or to read the image a tag points at.',
    {
      metadata: objectMeta,
      tag: s.ref(`${IMAGE}.TagReference`, 'tag is the spec tag associated with this image stream tag, and it may be null if only pushes have occurred to this image stream.'),
      generation: s.int64('generation is the current generation of the tagged image - if tag is provided and this value is not equal to the tag generation, a user has requested an import that has not completed, or conditions will be filled out indicating any error.'),
      lookupPolicy: s.ref(`${IMAGE}.ImageLookupPolicy`, 'lookupPolicy indicates whether this tag will handle image references in this namespace.'),
      conditions: s.array(s.ref(`${IMAGE}.TagEventCondition`), 'conditions is an array of conditions that apply to the image stream tag.', { 'x-kubernetes-list-type': 'atomic' }),
      image: s.ref(`${IMAGE}.Image`, 'image associated with the ImageStream and tag, with the pull spec resolved by the tag\'s reference policy.'),
    },
    ['tag', 'generation', 'lookupPolicy', 'image'],
  ),
  [`${IMAGE}.ImageStreamTagList`]: list('ImageStreamTagList', 'ImageStreamTag', 'ImageStreamTagList is a list of ImageStreamTag objects.'),

  [`${IMAGE}.ImageTag`]: kind<ImageTag>(
    'ImageTag',
    'ImageTag represents a single tag within an image stream (`<stream>:<tag>`) and includes the spec, the status history, and the currently referenced image (if any).',
    {
      metadata: objectMeta,
      spec: s.ref(`${IMAGE}.TagReference`, 'spec is the spec tag associated with this image stream tag; null when the tag only exists in status. Setting it to null removes the spec tag.'),
      status: s.ref(`${IMAGE}.NamedTagEventList`, 'status is the status tag details associated with this image stream tag, and it may be null if no push or import has been performed.'),
      image: s.ref(`${IMAGE}.Image`, 'image is the details of the most recent image stream status tag; null in lists and when there is none.'),
    },
    ['spec', 'status', 'image'],
  ),
  [`${IMAGE}.ImageTagList`]: list('ImageTagList', 'ImageTag', 'ImageTagList is a list of ImageTag objects.'),

  [`${IMAGE}.ImageStreamImage`]: kind<ImageStreamImage>(
    'ImageStreamImage',
    'ImageStreamImage represents an Image that is retrieved by image name (`<stream>@<id>`, a digest or an unambiguous prefix of one) from an ImageStream.',
    {
      metadata: objectMeta,
      image: s.ref(`${IMAGE}.Image`, 'image associated with the ImageStream and image name.'),
    },
    ['image'],
  ),

  [`${IMAGE}.ImageStreamMapping`]: kind<ImageStreamMapping>(
    'ImageStreamMapping',
    'ImageStreamMapping represents a mapping from a single image stream tag to a container image as well as the reference to the container image stream the image came from. Used by registries to record pushes.',
    {
      metadata: objectMeta,
      image: s.ref(`${IMAGE}.Image`, 'Image is a container image.'),
      tag: s.string('Tag is a string value this image can be located with inside the stream.'),
    },
    ['image', 'tag'],
  ),

  [`${IMAGE}.ImageStreamImport`]: kind<ImageStreamImport>(
    'ImageStreamImport',
    'ImageStreamImport imports images from remote registries into an image stream (metadata.name). With spec.import false it only looks the images up; with true it also records them in the stream, creating it when missing. Create only; never stored.',
    {
      metadata: objectMeta,
      spec: s.ref(`${IMAGE}.ImageStreamImportSpec`, 'Spec is a description of the images that the user wishes to import.'),
      status: s.ref(`${IMAGE}.ImageStreamImportStatus`, 'Status is the result of importing the image (set by the server).'),
    },
    ['spec'],
  ),
  [`${IMAGE}.ImageStreamImportSpec`]: s.object<ImageStreamImportSpec>(
    'ImageStreamImportSpec defines what images should be imported.',
    {
      import: s.boolean('Import indicates whether to perform an import - if so, the specified tags are set on the spec and status of the image stream defined by the type meta.'),
      images: s.array(s.ref(`${IMAGE}.ImageImportSpec`), 'Images are a list of individual images to import.', { 'x-kubernetes-list-type': 'atomic' }),
      repository: s.ref(`${IMAGE}.RepositoryImportSpec`, 'Repository is an optional import of an entire container image repository (up to a server-side limit of tags).'),
    },
    {},
    { required: ['import'] },
  ),
  [`${IMAGE}.ImageImportSpec`]: s.object<ImageImportSpec>(
    'ImageImportSpec describes a request to import a specific image.',
    {
      from: s.ref(`${CORE}.ObjectReference`, 'From is the source of an image to import; only kind DockerImage is allowed.'),
      to: s.object<{ name: string }>('To is a tag in the current image stream to assign the imported image to; defaults to the tag of from.name.', {
        name: s.string('Name of the tag.'),
      }),
      importPolicy: s.ref(`${IMAGE}.TagImportPolicy`, 'Import policy controls how the image is imported.'),
      referencePolicy: s.ref(`${IMAGE}.TagReferencePolicy`, 'ReferencePolicy defines how other components should consume the image.'),
      includeManifest: s.boolean('IncludeManifest determines if the manifest for each image is returned in the response.'),
    },
    {},
    { required: ['from'] },
  ),
  [`${IMAGE}.RepositoryImportSpec`]: s.object<RepositoryImportSpec>(
    'RepositoryImportSpec describes a request to import images from a container image repository.',
    {
      from: s.ref(`${CORE}.ObjectReference`, 'From is the source for the image repository to import; only kind DockerImage and a name without tag or digest are allowed.'),
      importPolicy: s.ref(`${IMAGE}.TagImportPolicy`, 'Import policy controls how the images are imported.'),
      referencePolicy: s.ref(`${IMAGE}.TagReferencePolicy`, 'ReferencePolicy defines how other components should consume the images.'),
      includeManifest: s.boolean('IncludeManifest determines if the manifest for each image is returned in the response.'),
    },
    {},
    { required: ['from'] },
  ),
  [`${IMAGE}.ImageStreamImportStatus`]: s.object<ImageStreamImportStatus>('ImageStreamImportStatus contains information about the status of an image stream import.', {
    import: s.ref(`${IMAGE}.ImageStream`, 'Import is the image stream that was successfully updated or created when import was true.'),
    repository: s.ref(`${IMAGE}.RepositoryImportStatus`, 'Repository is set if spec.repository was set to the outcome of the import.'),
    images: s.array(s.ref(`${IMAGE}.ImageImportStatus`), 'Images is set with the result of importing spec.images, entry for entry.', { 'x-kubernetes-list-type': 'atomic' }),
  }),
  [`${IMAGE}.ImageImportStatus`]: s.object<ImageImportStatus>(
    'ImageImportStatus describes the result of an image import.',
    {
      status: s.ref(`${META}.Status`, 'Status is the status of the image import, including errors encountered while retrieving the image.'),
      image: s.ref(`${IMAGE}.Image`, 'Image is the metadata of that image, if the image was located.'),
      tag: s.string('Tag is the tag this image was located under, if any.'),
      manifests: s.array(s.ref(`${IMAGE}.Image`), 'Manifests holds sub-manifests metadata when importing a manifest list with PreserveOriginal.', {
        'x-kubernetes-list-type': 'atomic',
      }),
    },
    {},
    { required: ['status'] },
  ),
  [`${IMAGE}.RepositoryImportStatus`]: s.object<RepositoryImportStatus>('RepositoryImportStatus describes the result of an image repository import.', {
    status: s.ref(`${META}.Status`, 'Status reflects whether any failure occurred during import.'),
    images: s.array(s.ref(`${IMAGE}.ImageImportStatus`), 'Images is a list of images successfully retrieved by the import of the repository.', {
      'x-kubernetes-list-type': 'atomic',
    }),
    additionalTags: s.array(s.string(''), 'AdditionalTags are tags that exist in the repository but were not imported because a maximum limit of automatic imports was applied.', {
      'x-kubernetes-list-type': 'atomic',
    }),
  }),

  [`${IMAGE}.ImageStreamLayers`]: kind<ImageStreamLayers>(
    'ImageStreamLayers',
    'ImageStreamLayers describes information about the layers referenced by images in this image stream.',
    {
      metadata: objectMeta,
      blobs: s.map(s.ref(`${IMAGE}.ImageLayerData`), 'blobs is a map of blob name to metadata about the blob.'),
      images: s.map(s.ref(`${IMAGE}.ImageBlobReferences`), 'images is a map between an image name and the names of the blobs and config that comprise the image.'),
    },
    ['blobs', 'images'],
  ),
  [`${IMAGE}.ImageLayerData`]: s.object<ImageLayerData>(
    'ImageLayerData contains metadata about an image layer.',
    {
      size: s.int64('Size of the layer in bytes as defined by the underlying store; null when unknown (manifests, configs).'),
      mediaType: s.string('MediaType of the referenced object.'),
    },
    {},
    { required: ['size', 'mediaType'] },
  ),
  [`${IMAGE}.ImageBlobReferences`]: s.object<ImageBlobReferences>(
    'ImageBlobReferences describes the blob references within an image.',
    {
      imageMissing: s.boolean('imageMissing is true if the image is referenced by the image stream but the image object has been deleted.'),
      layers: s.array(s.string(''), 'layers is the list of blobs that compose this image, from base layer to top layer.', { 'x-kubernetes-list-type': 'atomic' }),
      config: s.string('config, if set, is the blob that contains the image config.'),
      manifests: s.array(s.string(''), 'manifests is the list of other image names that this image points to (manifest lists).', { 'x-kubernetes-list-type': 'atomic' }),
    },
  ),
};

/**
 * The definition name of a kind served in a group-version, as Kubernetes spells them:
 * `com.github.openshift.api.image.v1.ImageStream`, `io.k8s.api.apps.v1.Deployment`, reversed
 * domains for other groups. SecretList (imagestreams/secrets) is the core kind.
 */
export function schemaNameOf(group: string, version: string, kind: string): string {
  if (kind === 'SecretList') return `${CORE}.SecretList`;
  if (group === GROUP) return `com.github.openshift.api.image.${version}.${kind}`;
  if (group === '' || !group.includes('.')) return `io.k8s.api.${group || 'core'}.${version}.${kind}`;
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}
