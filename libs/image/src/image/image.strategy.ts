import { type FieldError, fieldErr, omitEmptyMetadata, type ResourceStrategy } from '@app/api-machinery';
import { configMatchesImage, deriveImageMetadata, deriveListChildren, manifestMatchesImage } from './image-metadata';
import type { DockerConfig, DockerImageMetadata, Image, ImageSignature } from './image.types';
import { validateImage } from './image.validation';

const manifestBlobStored = 'image.openshift.io/manifestBlobStored';
/** Set by an old signature importer; a bug let it through validation (openshift rhbz#1557607). */
const managedSignatureAnnotation = 'image.openshift.io/managed-signature';

/** docker10.DockerImage's fields besides the ones set below; anything else does not survive Go's decoding. */
const dockerImageFields = ['Parent', 'Comment', 'Container', 'DockerVersion', 'Author', 'Config', 'Architecture', 'Size'] as const;
/** docker10.DockerConfig's fields (all omitempty). */
const dockerConfigFields = new Set([
  'Hostname', 'Domainname', 'User', 'Memory', 'MemorySwap', 'CpuShares', 'Cpuset', 'AttachStdin', 'AttachStdout', 'AttachStderr',
  'PortSpecs', 'ExposedPorts', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Dns', 'Image', 'Volumes', 'VolumesFrom',
  'WorkingDir', 'Entrypoint', 'NetworkDisabled', 'SecurityOpts', 'OnBuild', 'Labels',
]);

/** What Go's omitempty leaves out: zero values and empty lists and maps. */
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

/** A DockerConfig as upstream encodes it: its own fields only, empty ones left out. */
function dockerConfigOf(config: unknown): DockerConfig {
  if (typeof config !== 'object' || config === null) return {};
  return Object.fromEntries(Object.entries(config).filter(([k, v]) => dockerConfigFields.has(k) && !isEmpty(v)));
}

/**
 * Output defaults every Image carries on the wire: dockerImageMetadata as Go encodes
 * docker10.DockerImage (`Id` has no omitempty, a zero `Created` is null, ContainerConfig is
 * always there; fields the type lacks, such as a config's `os`, are not kept).
 */
export function defaultImage(image: Image): void {
  image.dockerImageMetadataVersion ||= '1.0';
  const meta = (image.dockerImageMetadata ?? {}) as Partial<DockerImageMetadata>;
  const out: DockerImageMetadata = {
    kind: 'DockerImage',
    apiVersion: 'image.openshift.io/1.0',
    Id: meta.Id ?? '',
    Created: meta.Created ?? null,
    ContainerConfig: dockerConfigOf(meta.ContainerConfig),
  };
  for (const f of dockerImageFields) {
    const v = f === 'Config' ? (meta.Config ? dockerConfigOf(meta.Config) : undefined) : meta[f];
    if (f === 'Config' ? v !== undefined : !isEmpty(v)) (out as unknown as Record<string, unknown>)[f] = v;
  }
  image.dockerImageMetadata = out;
  if (image.dockerImageLayers && !image.dockerImageLayers.length) delete image.dockerImageLayers;
  if (image.dockerImageManifests && !image.dockerImageManifests.length) delete image.dockerImageManifests;
  if (image.dockerImageSignatures && !image.dockerImageSignatures.length) delete image.dockerImageSignatures;
  if (image.signatures && !image.signatures.length) delete image.signatures;
  for (const signature of image.signatures ?? []) omitEmptySignatureFields(signature);
  // manifestSize has no omitempty: Go writes 0 when the client sent none.
  for (const m of image.dockerImageManifests ?? []) m.manifestSize ??= 0;
  // A signature condition's times are metav1.Time: omitempty cannot omit a struct, so Go writes null.
  for (const condition of (image.signatures ?? []).flatMap((s) => (Array.isArray(s.conditions) ? s.conditions : []))) {
    if (condition && typeof condition === 'object') {
      condition.lastProbeTime ??= null;
      condition.lastTransitionTime ??= null;
    }
  }
}

/** An embedded ImageSignature as Go encodes it: its omitempty lists, map and strings left out when empty. */
function omitEmptySignatureFields(signature: ImageSignature): void {
  if (!signature || typeof signature !== 'object') return;
  if (signature.metadata && typeof signature.metadata === 'object') omitEmptyMetadata(signature.metadata as Record<string, unknown>);
  if (Array.isArray(signature.conditions) && !signature.conditions.length) delete signature.conditions;
  if (signature.signedClaims && typeof signature.signedClaims === 'object' && !Object.keys(signature.signedClaims).length) delete signature.signedClaims;
  if (signature.imageIdentity === '') delete signature.imageIdentity;
}

/** Raw manifest/config stay in the registry when it says it stored them. */
function clearStoredBlobs(image: Image): void {
  if (image.metadata.annotations?.[manifestBlobStored] === 'true') {
    delete image.dockerImageManifest;
    delete image.dockerImageConfig;
  }
}

function removeManagedSignatureAnnotation(image: Image): void {
  for (const signature of image.signatures ?? []) {
    const annotations = signature.metadata?.annotations;
    if (!annotations || !(managedSignatureAnnotation in annotations)) continue;
    delete annotations[managedSignatureAnnotation];
    if (!Object.keys(annotations).length) delete signature.metadata!.annotations;
  }
}

/** ValidateObjectMeta's check of a generation the client set (the only way an Image gets one). */
function negativeGeneration(image: Image): FieldError[] {
  const generation = image.metadata.generation;
  return typeof generation === 'number' && generation < 0 ? [fieldErr.invalid('metadata.generation', generation, 'must be greater than or equal to 0')] : [];
}

/** A field the update checks decided to keep: the stored value, or none when nothing is stored. */
function restore(obj: Image, old: Image, field: 'dockerImageManifest' | 'dockerImageConfig'): void {
  if (old[field] === undefined) delete obj[field];
  else obj[field] = old[field];
}

/** Image rules (openshift-apiserver registry/image/strategy.go). */
export class ImageStrategy implements ResourceStrategy<Image> {
  /** Upstream's image strategy answers DefaultGarbageCollectionPolicy `Unsupported`. */
  readonly garbageCollectionUnsupported = true;

  prepareForCreate(obj: Image): void {
    // Upstream's image strategy sets no generation: one the client sends is kept (0 is Go's unset).
    if (!obj.metadata.generation) delete obj.metadata.generation;
    // Embedded signatures are kept as sent (conditions included) and validated as such; only the
    // imagesignatures resource clears what the server would verify (upstream image strategy).
    // Metadata the manifest cannot give is left as sent (upstream logs the reason and goes on).
    deriveImageMetadata(obj, { now: new Date(), creating: true });
    deriveListChildren(obj);
    removeManagedSignatureAnnotation(obj);
    defaultImage(obj);
  }

  validate(obj: Image): FieldError[] {
    return [...negativeGeneration(obj), ...validateImage(obj)];
  }

  canonicalize(obj: Image): void {
    clearStoredBlobs(obj);
    defaultImage(obj);
  }

  /**
   * Derived metadata, layers and stored schema1 signatures are immutable: silently restored. A new
   * manifest is kept only when it hashes to the image name, a new config only when the manifest
   * names it (else the stored ones stay); metadata is then derived from them as on create.
   */
  prepareForUpdate(obj: Image, old: Image): void {
    obj.dockerImageMetadata = structuredClone(old.dockerImageMetadata);
    obj.dockerImageMetadataVersion = old.dockerImageMetadataVersion;
    if (old.dockerImageLayers) obj.dockerImageLayers = structuredClone(old.dockerImageLayers);
    else delete obj.dockerImageLayers;
    // Schema1 signatures, once stored, stay; an image stored without them takes the request's
    // (upstream copies them only when the old image has some).
    if (old.dockerImageSignatures?.length) obj.dockerImageSignatures = old.dockerImageSignatures;
    else if (!obj.dockerImageSignatures?.length) delete obj.dockerImageSignatures;
    if ((obj.dockerImageManifest ?? '') !== (old.dockerImageManifest ?? '')) {
      if (obj.dockerImageManifest && !manifestMatchesImage(old, obj.dockerImageManifest)) restore(obj, old, 'dockerImageManifest');
    }
    if ((obj.dockerImageConfig ?? '') !== (old.dockerImageConfig ?? '')) {
      if (obj.dockerImageConfig && !configMatchesImage(obj, obj.dockerImageConfig)) restore(obj, old, 'dockerImageConfig');
    }
    deriveImageMetadata(obj, { now: new Date(), creating: false });
    removeManagedSignatureAnnotation(obj);
    // Requests cannot change it (kube's BeforeUpdate keeps the stored one).
    if (old.metadata.generation) obj.metadata.generation = old.metadata.generation;
    else delete obj.metadata.generation;
  }

  validateUpdate(obj: Image, _old: Image): FieldError[] {
    return validateImage(obj);
  }
}
