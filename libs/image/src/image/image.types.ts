import type { ApiObject, ObjectMeta } from '@app/api-machinery';
import type { ParsedDockerConfig } from '@app/registry';

/** One layer of an image, base layer first (openshift/api image/v1 ImageLayer). */
export interface ImageLayer {
  name: string;
  size: number;
  mediaType: string;
}

/** One child of a manifest list or OCI index (openshift/api image/v1 ImageManifest). */
export interface ImageManifest {
  digest: string;
  mediaType: string;
  manifestSize: number;
  architecture: string;
  os: string;
  variant?: string;
}

/** Docker-API style config block inside DockerImage: the registry lib's docker10.DockerConfig. */
export type DockerConfig = ParsedDockerConfig;

/** The DockerImage document carried in Image.dockerImageMetadata. */
export interface DockerImageMetadata {
  kind: 'DockerImage';
  apiVersion: 'image.openshift.io/1.0';
  Id?: string;
  Parent?: string;
  Comment?: string;
  /** null when unknown (Go's zero metav1.Time). */
  Created?: string | null;
  Container?: string;
  ContainerConfig: DockerConfig;
  DockerVersion?: string;
  Author?: string;
  Config?: DockerConfig;
  Architecture?: string;
  Size?: number;
}

/** A verifier's finding about a signature (openshift/api image/v1 SignatureCondition). */
export interface SignatureCondition {
  type: string;
  status: string;
  /** metav1.Time with omitempty, which Go's encoder cannot omit: an unset time is `null`. */
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
  reason?: string;
  message?: string;
}

/** image.openshift.io/v1 ImageSignature: named `<imageName>@<signatureName>`, stored in Image.signatures. */
export interface ImageSignature {
  kind?: string;
  apiVersion?: string;
  metadata?: ObjectMeta;
  type: string;
  /** The signature blob, base64. */
  content: string;
  conditions?: SignatureCondition[];
  imageIdentity?: string;
  signedClaims?: Record<string, string>;
  created?: string;
  issuedBy?: { organization?: string; commonName?: string };
  issuedTo?: { organization?: string; commonName?: string; publicKeyID?: string };
}

/** image.openshift.io/v1 Image: cluster-scoped, named by manifest digest. */
export interface Image extends ApiObject {
  dockerImageReference: string;
  dockerImageMetadata?: DockerImageMetadata;
  dockerImageMetadataVersion?: string;
  dockerImageManifest?: string;
  dockerImageLayers?: ImageLayer[];
  signatures?: ImageSignature[];
  dockerImageSignatures?: string[];
  dockerImageManifestMediaType?: string;
  dockerImageConfig?: string;
  dockerImageManifests?: ImageManifest[];
}
