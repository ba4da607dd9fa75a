/**
 * Output of imageFromManifest(): structurally the image.openshift.io/v1 Image (same JSON field
 * names), declared here so this lib stays independent of @app/image while remaining assignable to it.
 */

export interface ParsedImageLayer {
  name: string;
  size: number;
  mediaType: string;
}

export interface ParsedImageManifest {
  digest: string;
  mediaType: string;
  manifestSize: number;
  architecture: string;
  os: string;
  variant?: string;
}

/** The Docker-API style `Config` block (openshift/api docker10.DockerConfig; capitalised keys on the wire). */
export interface ParsedDockerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  Memory?: number;
  MemorySwap?: number;
  CpuShares?: number;
  Cpuset?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  PortSpecs?: string[];
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[];
  Dns?: string[];
  Image?: string;
  Volumes?: Record<string, Record<string, never>>;
  VolumesFrom?: string;
  WorkingDir?: string;
  Entrypoint?: string[];
  NetworkDisabled?: boolean;
  SecurityOpts?: string[];
  OnBuild?: string[];
  Labels?: Record<string, string>;
}

export interface ParsedDockerImageMetadata {
  kind: 'DockerImage';
  apiVersion: 'image.openshift.io/1.0';
  Id: string;
  Created?: string;
  Parent?: string;
  Author?: string;
  Comment?: string;
  Container?: string;
  ContainerConfig: ParsedDockerConfig;
  DockerVersion?: string;
  Config?: ParsedDockerConfig;
  Architecture?: string;
  Os?: string;
  Variant?: string;
  Size?: number;
}

export interface ParsedImage {
  kind: 'Image';
  apiVersion: 'image.openshift.io/v1';
  metadata: { name: string; annotations?: Record<string, string> };
  /** `<repository>@<digest>`. */
  dockerImageReference: string;
  dockerImageMetadata: ParsedDockerImageMetadata;
  dockerImageMetadataVersion: '1.0';
  dockerImageManifestMediaType: string;
  /** Raw manifest exactly as fetched (the API server may clear it, see manifestBlobStored). */
  dockerImageManifest: string;
  /** Raw config JSON; absent for lists/indexes. */
  dockerImageConfig?: string;
  /** Base layer first; absent for lists/indexes. */
  dockerImageLayers?: ParsedImageLayer[];
  /** Children of a list/index; absent for single images. */
  dockerImageManifests?: ParsedImageManifest[];
}
