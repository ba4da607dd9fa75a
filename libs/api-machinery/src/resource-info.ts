/** Static description of one served resource: what discovery prints and what errors name. */
export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural resource name, e.g. `imagestreams`; subresources as `imagestreams/status`. */
  resource: string;
  singularName: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** Fields accepted by fieldSelector besides metadata.name/metadata.namespace. */
  fieldSelectors: string[];
  /**
   * The kind registers its own field label conversion in kube-apiserver (core Namespace and Event):
   * it accepts only its listed fields (a cluster-scoped one not metadata.namespace) and words an
   * unknown one `field label not supported: <field>`. Other kinds fall back to apimachinery's
   * DefaultMetaV1FieldSelectorConversion.
   */
  ownFieldLabelConversion?: boolean;
  /** With ownFieldLabelConversion, a wording other than `field label not supported: <field>` (batch/v1 Job's: `field label "<field>" not supported for Job`). */
  fieldLabelWording?: (field: string) => string;
  /** Strategic-merge-patch list merge keys by dotted path, e.g. {'spec.tags': 'name'}. */
  mergeKeys: Record<string, string>;
  /** Structs owned and replaced as a whole by server-side apply (`+structType=atomic`), e.g. `spec.selector`. */
  atomicFields?: readonly string[];
  /**
   * Maps of the kind's schema (`map[string]…`, OpenAPI additionalProperties) besides metadata's
   * labels and annotations, e.g. a Secret's `data`: server-side apply owns each key, and an updater
   * that adds the map owns the map too (FieldsV1 `.`), as structured-merge-diff does for every map.
   */
  granularMaps?: readonly string[];
  /**
   * The wire form of the kind's Go zero value (what `New()` serialises to: the fields without
   * omitempty), e.g. an ImageStream's `spec.lookupPolicy.local: false`. kube-apiserver's field
   * manager compares a created object, and an object first applied to with no managers
   * (before-first-apply), with that empty object: fields every object has from the start are
   * nobody's. Default: `{}`.
   */
  emptyObject?: Readonly<Record<string, unknown>>;
  /**
   * A subresource whose bodies are another group's kind (`deployments/scale` serves
   * autoscaling/v1 Scale): discovery and OpenAPI name that kind, as kube-apiserver does.
   */
  responseKind?: { group: string; version: string; kind: string };
  /**
   * Its bodies carry write-only secrets (TriggerSecret keys): an error never quotes a body's bytes,
   * where kube-apiserver would quote the head of one it cannot decode.
   */
  secretBodies?: boolean;
  /**
   * The kind's update strategy allows an update without a resourceVersion (AllowUnconditionalUpdate:
   * core and apps kinds), which then applies to whatever is stored. Otherwise (the image kinds,
   * custom resources) an update without one, or with `0`, is 422 `must be specified for an update`.
   */
  allowUnconditionalUpdate?: boolean;
  /**
   * Its storage has no table convertor (openshift-apiserver's imagestream StatusREST and LayersREST,
   * imagesecret's REST): the installer leaves it nil, so a Table is not acceptable there
   * (AllowsMediaTypeTransform) and kubectl, which also accepts JSON, prints its own NAME/AGE columns.
   */
  noTable?: boolean;
}

/** The group, version and kind of a resource's bodies (its own unless `responseKind` says otherwise). */
export function bodyKindOf(info: ResourceInfo): { group: string; version: string; kind: string } {
  return info.responseKind ?? { group: info.group, version: info.version, kind: info.kind };
}

export function apiVersionOf(info: ResourceInfo): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

export function refOf(info: ResourceInfo): { group: string; resource: string; kind: string } {
  return { group: info.group, resource: info.resource.split('/')[0]!, kind: info.kind };
}
