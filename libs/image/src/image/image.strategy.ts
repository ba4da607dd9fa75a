import type { FieldError, ResourceStrategy } from '@app/api-machinery';
import { configMatchesImage, deriveImageMetadata, manifestMatchesImage } from './image-metadata';
import type { Image } from './image.types';
import { validateImage } from './image.validation';

const manifestBlobStored = 'image.openshift.io/manifestBlobStored';
/** Set by an old signature importer; a bug let it through validation (openshift rhbz#1557607). */
const managedSignatureAnnotation = 'image.openshift.io/managed-signature';

/** Output defaults every Image carries on the wire. */
export function defaultImage(image: Image): void {
  image.dockerImageMetadataVersion ||= '1.0';
  const meta = image.dockerImageMetadata;
  // Go's encoding of docker10.DockerImage: `Id` has no omitempty and a zero `Created` is null.
  image.dockerImageMetadata = {
    ...(meta ?? {}),
    kind: 'DockerImage',
    apiVersion: 'image.openshift.io/1.0',
    Id: meta?.Id ?? '',
    Created: meta?.Created ?? null,
    ContainerConfig: meta?.ContainerConfig ?? {},
  };
  if (image.dockerImageLayers && !image.dockerImageLayers.length) delete image.dockerImageLayers;
  if (image.dockerImageManifests && !image.dockerImageManifests.length) delete image.dockerImageManifests;
  // manifestSize has no omitempty: Go writes 0 when the client sent none.
  for (const m of image.dockerImageManifests ?? []) m.manifestSize ??= 0;
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

/** A field the update checks decided to keep: the stored value, or none when nothing is stored. */
function restore(obj: Image, old: Image, field: 'dockerImageManifest' | 'dockerImageConfig'): void {
  if (old[field] === undefined) delete obj[field];
  else obj[field] = old[field];
}

/** Image rules (openshift-apiserver registry/image/strategy.go). */
export class ImageStrategy implements ResourceStrategy<Image> {
  prepareForCreate(obj: Image): void {
    delete obj.metadata.generation;
    if (obj.signatures) {
      for (const s of obj.signatures) delete s.conditions;
    }
    // Metadata the manifest cannot give is left as sent (upstream logs the reason and goes on).
    deriveImageMetadata(obj, { now: new Date(), creating: true });
    removeManagedSignatureAnnotation(obj);
    defaultImage(obj);
  }

  validate(obj: Image): FieldError[] {
    return validateImage(obj);
  }

  canonicalize(obj: Image): void {
    clearStoredBlobs(obj);
    defaultImage(obj);
  }

  /**
   * Derived metadata, layers and schema1 signatures are immutable: silently restored. A new
   * manifest is kept only when it hashes to the image name, a new config only when the manifest
   * names it (else the stored ones stay); metadata is then derived from them as on create.
   */
  prepareForUpdate(obj: Image, old: Image): void {
    obj.dockerImageMetadata = structuredClone(old.dockerImageMetadata);
    obj.dockerImageMetadataVersion = old.dockerImageMetadataVersion;
    if (old.dockerImageLayers) obj.dockerImageLayers = structuredClone(old.dockerImageLayers);
    else delete obj.dockerImageLayers;
    if (old.dockerImageSignatures) obj.dockerImageSignatures = old.dockerImageSignatures;
    else delete obj.dockerImageSignatures;
    if ((obj.dockerImageManifest ?? '') !== (old.dockerImageManifest ?? '')) {
      if (obj.dockerImageManifest && !manifestMatchesImage(old, obj.dockerImageManifest)) restore(obj, old, 'dockerImageManifest');
    }
    if ((obj.dockerImageConfig ?? '') !== (old.dockerImageConfig ?? '')) {
      if (obj.dockerImageConfig && !configMatchesImage(obj, obj.dockerImageConfig)) restore(obj, old, 'dockerImageConfig');
    }
    deriveImageMetadata(obj, { now: new Date(), creating: false });
    removeManagedSignatureAnnotation(obj);
    delete obj.metadata.generation;
  }

  validateUpdate(obj: Image, _old: Image): FieldError[] {
    return validateImage(obj);
  }
}
