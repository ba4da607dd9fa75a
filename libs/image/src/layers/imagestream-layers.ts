import { type ApiObject, type FieldError, fieldErr, type ObjectMeta } from '@app/api-machinery';
import type { Image } from '../image/image.types';

/** A blob an image stream references (openshift/api image/v1 ImageLayerData). */
export interface ImageLayerData {
  size: number | null;
  mediaType: string;
}

/** The blobs one image references (openshift/api image/v1 ImageBlobReferences). */
export interface ImageBlobReferences {
  imageMissing: boolean;
  layers: string[] | null;
  config: string | null;
  manifests?: string[];
}

/** `imagestreams/{name}/layers`: every blob reachable through the stream (registry access checks use it). */
export interface ImageStreamLayers extends ApiObject {
  blobs: Record<string, ImageLayerData>;
  images: Record<string, ImageBlobReferences>;
}

const schema2Manifest = 'application/vnd.docker.distribution.manifest.v2+json';
const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
const configMediaTypes: Record<string, string> = {
  [schema2Manifest]: 'application/vnd.docker.container.image.v1+json',
  [ociManifest]: 'application/vnd.oci.image.config.v1+json',
};

/** Names of the child manifests of a manifest list / index. */
export function childManifests(image: Image | undefined): string[] {
  return (image?.dockerImageManifests ?? []).map((m) => m.digest).filter((d) => Boolean(d));
}

/**
 * The layers view (openshift-apiserver LayersREST): one `images` entry per image in the
 * stream's history and, recursively, per child of a manifest list; `imageMissing` when the
 * Image object is gone. Each image's manifest is a blob (size unknown); schema2/OCI images
 * also reference their config blob (the DockerImage Id); layers carry their size.
 */
export function buildImageStreamLayers(metadata: ObjectMeta, roots: string[], images: Map<string, Image>): ImageStreamLayers {
  const blobs: Record<string, ImageLayerData> = {};
  const refs: Record<string, ImageBlobReferences> = {};
  const add = (name: string): void => {
    if (refs[name]) return;
    const image = images.get(name);
    if (!image) {
      refs[name] = { imageMissing: true, layers: null, config: null };
      return;
    }
    const ref: ImageBlobReferences = { imageMissing: false, layers: null, config: null };
    for (const layer of image.dockerImageLayers ?? []) {
      (ref.layers ??= []).push(layer.name);
      blobs[layer.name] ??= { size: layer.size, mediaType: layer.mediaType };
    }
    const mediaType = image.dockerImageManifestMediaType || schema2Manifest;
    const configType = configMediaTypes[image.dockerImageManifestMediaType ?? ''];
    if (configType) {
      // Upstream names the config blob after the DockerImage Id even when it is empty (an image
      // whose metadata was never filled): validateImageStreamLayers then refuses the view.
      const configId = image.dockerImageMetadata?.Id ?? '';
      ref.config = configId;
      blobs[configId] ??= { size: null, mediaType: configType };
    }
    const children = childManifests(image);
    if (children.length) ref.manifests = children;
    blobs[name] ??= { size: null, mediaType };
    refs[name] = ref;
    children.forEach(add);
  };
  [...roots].sort().forEach(add);
  return { kind: 'ImageStreamLayers', apiVersion: 'image.openshift.io/v1', metadata, blobs, images: refs };
}

/**
 * What openshift ValidateImageStreamLayers refuses in a built view (LayersREST answers 422 then):
 * a missing image with blobs, an empty layer or config name, a list image with layers or a config,
 * an empty child name. Images are checked in name order (upstream walks a map).
 */
export function validateImageStreamLayers(view: ImageStreamLayers): FieldError[] {
  const errors: FieldError[] = [];
  for (const name of Object.keys(view.images).sort()) {
    const ref = view.images[name]!;
    const at = `images[${name}]`;
    const layers = ref.layers ?? [];
    const manifests = ref.manifests ?? [];
    if (ref.imageMissing) {
      if (layers.length) errors.push(fieldErr.invalid(`${at}.layers`, layers, 'layers must be empty if image is missing'));
      if (ref.config !== null) errors.push(fieldErr.invalid(`${at}.config`, ref.config, 'config must be null if image is missing'));
      if (manifests.length) errors.push(fieldErr.invalid(`${at}.manifest`, manifests, 'manifests must be empty if image is missing'));
    } else if (!manifests.length) {
      layers.forEach((layer, i) => {
        if (!layer) errors.push(fieldErr.invalid(`${at}.layers[${i}]`, layer, 'layer cannot be empty'));
      });
      if (ref.config === '') errors.push(fieldErr.invalid(`${at}.config`, ref.config, 'config cannot be an empty string'));
    } else {
      if (layers.length) errors.push(fieldErr.invalid(`${at}.layers`, layers, 'layers must be empty if manifests are present'));
      if (ref.config !== null) errors.push(fieldErr.invalid(`${at}.config`, ref.config, 'config must be null if manifests are present'));
      manifests.forEach((manifest, i) => {
        if (!manifest) errors.push(fieldErr.invalid(`${at}.manifests[${i}]`, manifest, 'manifest cannot be empty'));
      });
    }
  }
  return errors;
}
