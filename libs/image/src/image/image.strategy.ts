import type { FieldError, ResourceStrategy } from '@app/api-machinery';
import type { Image } from './image.types';
import { validateImage } from './image.validation';

const manifestBlobStored = 'image.openshift.io/manifestBlobStored';

/** Output defaults every Image carries on the wire. */
export function defaultImage(image: Image): void {
  image.dockerImageMetadataVersion ||= '1.0';
  const meta = image.dockerImageMetadata;
  image.dockerImageMetadata = {
    ...(meta ?? {}),
    kind: 'DockerImage',
    apiVersion: 'image.openshift.io/1.0',
    ContainerConfig: meta?.ContainerConfig ?? {},
  };
  if (image.dockerImageLayers && !image.dockerImageLayers.length) delete image.dockerImageLayers;
  if (image.dockerImageManifests && !image.dockerImageManifests.length) delete image.dockerImageManifests;
}

/** Raw manifest/config stay in the registry when it says it stored them. */
function clearStoredBlobs(image: Image): void {
  if (image.metadata.annotations?.[manifestBlobStored] === 'true') {
    delete image.dockerImageManifest;
    delete image.dockerImageConfig;
  }
}

/** Image rules (openshift-apiserver registry/image/strategy.go). */
export class ImageStrategy implements ResourceStrategy<Image> {
  prepareForCreate(obj: Image): void {
    delete obj.metadata.generation;
    if (obj.signatures) {
      for (const s of obj.signatures) delete (s as { conditions?: unknown }).conditions;
    }
    defaultImage(obj);
  }

  validate(obj: Image): FieldError[] {
    return validateImage(obj);
  }

  canonicalize(obj: Image): void {
    clearStoredBlobs(obj);
    defaultImage(obj);
  }

  /** Derived metadata, layers and schema1 signatures are immutable: silently restored. */
  prepareForUpdate(obj: Image, old: Image): void {
    obj.dockerImageMetadata = old.dockerImageMetadata;
    obj.dockerImageMetadataVersion = old.dockerImageMetadataVersion;
    if (old.dockerImageLayers) obj.dockerImageLayers = old.dockerImageLayers;
    else delete obj.dockerImageLayers;
    if (old.dockerImageSignatures) obj.dockerImageSignatures = old.dockerImageSignatures;
    else delete obj.dockerImageSignatures;
    if (obj.dockerImageManifest !== undefined && obj.dockerImageManifest !== old.dockerImageManifest) {
      if (old.dockerImageManifest === undefined) delete obj.dockerImageManifest;
      else obj.dockerImageManifest = old.dockerImageManifest;
    }
    delete obj.metadata.generation;
  }

  validateUpdate(obj: Image, _old: Image): FieldError[] {
    return validateImage(obj);
  }
}
