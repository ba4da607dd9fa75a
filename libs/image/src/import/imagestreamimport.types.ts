import type { ApiObject, Status, StatusDetails } from '@app/api-machinery';
import type { Image } from '../image/image.types';
import type { ImageStream, ObjectReference, TagImportPolicy, TagReferencePolicy } from '../imagestream/imagestream.types';

/** spec.images[] (openshift/api image/v1 ImageImportSpec). */
export interface ImageImportSpec {
  from: ObjectReference;
  to?: { name: string };
  importPolicy: TagImportPolicy;
  referencePolicy: TagReferencePolicy;
  includeManifest?: boolean;
}

/** spec.repository: every tag of one remote repository, up to a limit. */
export interface RepositoryImportSpec {
  from: ObjectReference;
  importPolicy: TagImportPolicy;
  referencePolicy: TagReferencePolicy;
  includeManifest?: boolean;
}

export interface ImageStreamImportSpec {
  import: boolean;
  images?: ImageImportSpec[];
  repository?: RepositoryImportSpec;
}

/** A StatusCause whose reason may be empty (omitted), as in NewInternalError's single cause. */
export interface ImportResultCause {
  reason?: string;
  message: string;
  field?: string;
}

/** A metav1.Status without kind/apiVersion, as embedded in import results. */
export type ImportResultStatus = Omit<Status, 'kind' | 'apiVersion' | 'details'> & {
  details?: Omit<StatusDetails, 'causes'> & { causes?: ImportResultCause[] };
};

/** status.images[i] (positional with spec.images[i]) and status.repository.images[]. */
export interface ImageImportStatus {
  status: ImportResultStatus;
  image?: Image;
  tag?: string;
  /** PreserveOriginal imports of a list: one Image per child. */
  manifests?: Image[];
}

export interface RepositoryImportStatus {
  status: ImportResultStatus;
  images?: ImageImportStatus[];
  /** Tags found but not imported because of the per-repository limit. */
  additionalTags?: string[];
}

export interface ImageStreamImportStatus {
  import?: ImageStream;
  images?: ImageImportStatus[];
  repository?: RepositoryImportStatus;
}

/** image.openshift.io/v1 ImageStreamImport: a create-only request, never stored. */
export interface ImageStreamImport extends ApiObject {
  spec: ImageStreamImportSpec;
  status?: ImageStreamImportStatus;
}
