import { bodyKindOf, type ResourceInfo } from '@app/api-machinery';
import { etagOf } from './conditional-get';
import { mediaRanges } from './media-ranges';

/** Versions of `apidiscovery.k8s.io` kube-apiserver 1.32 serves aggregated discovery in. */
export type AggregatedDiscoveryVersion = 'v2' | 'v2beta1';

const versions = new Set<string>(['v2', 'v2beta1']);

/**
 * The aggregated discovery version an Accept header asks for, if its first media range this
 * server can produce is `application/json;g=apidiscovery.k8s.io;v=<v2|v2beta1>;as=APIGroupDiscoveryList`
 * (client-go sends that first, then plain JSON as the fallback). Undefined: serve the plain
 * APIGroupList / APIVersions documents. Ranges we cannot produce (protobuf, other conversions) are
 * skipped, as kube-apiserver's negotiation skips them.
 */
export function aggregatedDiscoveryVersionOf(accept: string | undefined): AggregatedDiscoveryVersion | undefined {
  for (const { type, params } of mediaRanges(accept)) {
    if (!['application/json', 'application/*', '*/*'].includes(type)) continue;
    const as = params.get('as');
    if (as === undefined) return undefined;
    if (as === 'APIGroupDiscoveryList' && params.get('g') === 'apidiscovery.k8s.io' && versions.has(params.get('v') ?? '')) {
      return params.get('v') as AggregatedDiscoveryVersion;
    }
  }
  return undefined;
}

export function aggregatedDiscoveryContentType(version: AggregatedDiscoveryVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

interface ResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKind;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: { subresource: string; responseKind: GroupVersionKind; verbs: string[] }[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One group-version's resources as APIResourceDiscovery entries: subresources (`imagestreams/status`)
 * nested under their parent, as kube-apiserver converts its APIResourceList.
 */
function resourcesOf(infos: ResourceInfo[]): ResourceDiscovery[] {
  const parents = new Map<string, ResourceDiscovery>();
  const kindOf = (info: ResourceInfo): GroupVersionKind => bodyKindOf(info);
  for (const info of [...infos].sort((a, b) => byName(a.resource, b.resource))) {
    if (info.resource.includes('/')) continue;
    parents.set(info.resource, {
      resource: info.resource,
      responseKind: kindOf(info),
      scope: info.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: info.singularName,
      verbs: [...info.verbs].sort(),
      ...(info.shortNames?.length ? { shortNames: info.shortNames } : {}),
      ...(info.categories?.length ? { categories: info.categories } : {}),
    });
  }
  for (const info of [...infos].sort((a, b) => byName(a.resource, b.resource))) {
    const [parentName, subresource] = info.resource.split('/', 2) as [string, string | undefined];
    if (subresource === undefined) continue;
    let parent = parents.get(parentName);
    if (!parent) {
      parent = { resource: parentName, responseKind: { group: '', version: '', kind: '' }, scope: info.namespaced ? 'Namespaced' : 'Cluster', singularResource: '', verbs: [] };
      parents.set(parentName, parent);
    }
    (parent.subresources ??= []).push({ subresource, responseKind: kindOf(info), verbs: [...info.verbs].sort() });
  }
  return [...parents.values()];
}

export interface AggregatedDiscoveryDocument {
  body: string;
  etag: string;
}

/**
 * An APIGroupDiscoveryList of the given groups (in order; `''` is the core group, served at
 * `/api`), every version `Current`, with the ETag kube-apiserver derives from the document.
 */
export function aggregatedDiscoveryList(version: AggregatedDiscoveryVersion, groups: string[], infos: ResourceInfo[]): AggregatedDiscoveryDocument {
  const items = groups.map((group) => {
    const ofGroup = infos.filter((i) => i.group === group);
    const groupVersions = [...new Set(ofGroup.map((i) => i.version))];
    return {
      metadata: { ...(group ? { name: group } : {}), creationTimestamp: null },
      versions: groupVersions.map((v) => ({ version: v, resources: resourcesOf(ofGroup.filter((i) => i.version === v)), freshness: 'Current' })),
    };
  });
  const body = JSON.stringify({ kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items });
  return { body, etag: etagOf(body) };
}
