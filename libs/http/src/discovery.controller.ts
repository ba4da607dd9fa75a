import { Controller, Get, Header, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiError, bodyKindOf, type ResourceInfo } from '@app/api-machinery';
import { ResourceRegistry } from '@app/persistence';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type AggregatedDiscoveryVersion,
  aggregatedDiscoveryContentType,
  aggregatedDiscoveryList,
  aggregatedDiscoveryVersionOf,
} from './aggregated-discovery';
import { ifNoneMatchHits } from './conditional-get';
import { healthPaths } from './health-checks';

function groupVersions(registry: ResourceRegistry): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const h of registry.all()) {
    if (h.info.group === '') continue; // the core group is /api, not /apis
    const versions = groups.get(h.info.group) ?? new Set<string>();
    versions.add(h.info.version);
    groups.set(h.info.group, versions);
  }
  return groups;
}

function apiGroup(name: string, versions: Set<string>) {
  const list = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

function apiResource(info: ResourceInfo) {
  return {
    name: info.resource,
    singularName: info.singularName,
    namespaced: info.namespaced,
    // Another group's kind (deployments/scale: autoscaling/v1 Scale) is named with its group and version.
    ...(info.responseKind ? { group: info.responseKind.group, version: info.responseKind.version } : {}),
    kind: bodyKindOf(info).kind,
    verbs: [...info.verbs].sort(),
    ...(info.shortNames?.length ? { shortNames: info.shortNames } : {}),
    ...(info.categories?.length ? { categories: info.categories } : {}),
  };
}

/** Discovery documents kubectl and client libraries read to map kinds to paths. */
@Controller()
export class DiscoveryController {
  constructor(@Inject(ResourceRegistry) private readonly registry: ResourceRegistry) {}

  /** `GET /`: the paths this server serves, as kube-apiserver lists them (`kubectl get --raw /`). */
  @Get('/')
  @Header('content-type', 'application/json')
  rootPaths() {
    const groupPaths = [...groupVersions(this.registry)].flatMap(([name, versions]) => [`/apis/${name}`, ...[...versions].map((v) => `/apis/${name}/${v}`)]);
    const fixed = ['/api', '/api/v1', '/apis', '/metrics', '/openapi/v2', '/openapi/v3', '/version'];
    return { paths: [...fixed, ...healthPaths(), ...groupPaths].sort() };
  }

  @Get('version')
  @Header('content-type', 'application/json')
  version() {
    return {
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.0-imagestreamd',
      gitCommit: '',
      gitTreeState: 'clean',
      buildDate: '2026-11-25T00:00:00Z',
      goVersion: `node${process.versions.node}`,
      compiler: 'tsc',
      platform: `${process.platform}/${process.arch}`,
    };
  }

  @Get('api')
  coreVersions(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const aggregated = aggregatedDiscoveryVersionOf(req.headers.accept);
    if (aggregated) return this.sendAggregated(aggregated, [''], req, reply);
    void reply
      .header('content-type', 'application/json')
      .send(JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: serverAddressOf(req) }] }));
  }

  /** The core group serves namespaces (see NamespaceHandler), limitranges, resourcequotas, secrets, and events, pods, services and the kinds of kubectl's prune list always empty (AlwaysEmptyHandler). */
  @Get('api/v1')
  @Header('content-type', 'application/json')
  coreResources() {
    const handlers = this.registry.all().filter((h) => h.info.group === '' && h.info.version === 'v1');
    // Sorted by name, as kube-apiserver lists them (and /apis/<group>/<version> here).
    const resources = handlers.map((h) => apiResource(h.info)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { kind: 'APIResourceList', groupVersion: 'v1', resources };
  }

  @Get('apis')
  groups(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const aggregated = aggregatedDiscoveryVersionOf(req.headers.accept);
    if (aggregated) return this.sendAggregated(aggregated, [...groupVersions(this.registry).keys()], req, reply);
    const groups = [...groupVersions(this.registry)].map(([name, versions]) => apiGroup(name, versions));
    void reply.header('content-type', 'application/json').send(JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups }));
  }

  /**
   * Aggregated discovery (what client-go asks for first): every group's resources in one
   * document, with kube-apiserver's caching headers (ETag, 304 on a matching If-None-Match).
   */
  private sendAggregated(version: AggregatedDiscoveryVersion, groups: string[], req: FastifyRequest, reply: FastifyReply): void {
    const doc = aggregatedDiscoveryList(version, groups, this.registry.all().map((h) => h.info));
    void reply.header('etag', doc.etag).header('vary', 'Accept').header('cache-control', 'public');
    if (ifNoneMatchHits(req.headers['if-none-match'], doc.etag)) {
      void reply.status(304).send();
      return;
    }
    // A Buffer, so that Fastify sends the media type as written (a string body gets it re-encoded).
    void reply.header('content-type', aggregatedDiscoveryContentType(version)).send(Buffer.from(doc.body));
  }

  @Get('apis/:group')
  @Header('content-type', 'application/json')
  group(@Param('group') group: string) {
    const versions = groupVersions(this.registry).get(group);
    if (!versions) throw ApiError.routeNotFound();
    return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) };
  }

  @Get('apis/:group/:version')
  @Header('content-type', 'application/json')
  resources(@Param('group') group: string, @Param('version') version: string) {
    const handlers = this.registry.all().filter((h) => h.info.group === group && h.info.version === version);
    if (!handlers.length) throw ApiError.routeNotFound();
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${group}/${version}`,
      resources: handlers.map((h) => apiResource(h.info)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    };
  }
}

/**
 * The address this request reached, as `host:port` (IPv6 in brackets): kube-apiserver names its
 * advertise address there; a server bound to every interface has no single one, and the one the
 * client connected to is the address that client can use.
 */
function serverAddressOf(req: FastifyRequest): string {
  const { localAddress, localPort } = req.socket;
  if (!localAddress || !localPort) return '';
  const host = localAddress.startsWith('::ffff:') ? localAddress.slice(7) : localAddress;
  return host.includes(':') ? `[${host}]:${localPort}` : `${host}:${localPort}`;
}
