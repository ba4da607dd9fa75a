import { ApiError, isJsonObject } from '@app/api-machinery';

export const IMAGE_REVIEW_API_VERSION = 'imagepolicy.k8s.io/v1alpha1';

/** imagepolicy.k8s.io/v1alpha1 ImageReview, as kube-apiserver's ImagePolicyWebhook admission plugin sends it. */
export interface ImageReview {
  apiVersion: string;
  kind: 'ImageReview';
  metadata?: object;
  spec: { containers: { image: string }[]; annotations?: Record<string, string>; namespace: string };
}

/** Reads an ImageReview; anything else is a 400 Status (the plugin then applies its defaultAllow). */
export function parseImageReview(body: unknown): ImageReview {
  if (!isJsonObject(body) || body['apiVersion'] !== IMAGE_REVIEW_API_VERSION || body['kind'] !== 'ImageReview') {
    throw ApiError.badRequest(`expected an ImageReview of ${IMAGE_REVIEW_API_VERSION}`);
  }
  const spec = body['spec'];
  if (!isJsonObject(spec)) throw ApiError.badRequest('ImageReview has no spec');
  const containers = spec['containers'] ?? [];
  if (!Array.isArray(containers) || containers.some((c) => !isJsonObject(c) || (c['image'] !== undefined && typeof c['image'] !== 'string'))) {
    throw ApiError.badRequest('spec.containers must be a list of {image}');
  }
  const namespace = spec['namespace'] ?? '';
  if (typeof namespace !== 'string') throw ApiError.badRequest('spec.namespace must be a string');
  return {
    apiVersion: IMAGE_REVIEW_API_VERSION,
    kind: 'ImageReview',
    ...(isJsonObject(body['metadata']) ? { metadata: body['metadata'] } : {}),
    spec: { ...(spec as object), containers: (containers as { image?: string }[]).map((c) => ({ image: c.image ?? '' })), namespace },
  };
}
