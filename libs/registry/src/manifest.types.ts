/** Typed views of the manifest documents parseManifest() accepts (docker schema2 / OCI). */

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** Content descriptor: a reference to a blob or manifest by digest. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
}

/** Entry of a manifest list / OCI index. */
export interface ManifestDescriptor extends Descriptor {
  platform?: Platform;
}

/** Docker schema2 manifest or OCI image manifest (same shape). */
export interface ImageManifestDocument {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  /** Base layer first, as on the wire. */
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** Docker manifest list or OCI image index (same shape). */
export interface ManifestListDocument {
  schemaVersion: 2;
  mediaType?: string;
  manifests: ManifestDescriptor[];
  annotations?: Record<string, string>;
}

export type ManifestFormat = 'docker' | 'oci';

export type ParsedManifest =
  | { kind: 'image'; format: ManifestFormat; mediaType: string; manifest: ImageManifestDocument }
  | { kind: 'list'; format: ManifestFormat; mediaType: string; manifest: ManifestListDocument }
  /** Recognised but deliberately not converted (schema1 is deprecated and unsigned-by-digest). */
  | { kind: 'unsupported'; reason: 'schema1'; mediaType: string }
  /** Valid JSON with a media type we do not know (OCI artifacts, future types). */
  | { kind: 'unknown'; mediaType: string };
