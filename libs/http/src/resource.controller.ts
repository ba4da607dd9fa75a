import { All, Controller, Inject, Param, Req, Res } from '@nestjs/common';
import { answerJson, ApiError, apiVersionOf, type FieldSelector, refOf } from '@app/api-machinery';
import { Database, type ResourceHandler, ResourceRegistry } from '@app/persistence';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FieldValidator } from './openapi/field-validator';
import { deleteCollection } from './delete-collection';
import { decodeDeleteBody, decodePatchBody, decodeWriteBody, duplicateFieldsOf, patchTypeOfRequest, requireObjectMediaType } from './request-body';
import { callerOf } from './authentication/api-authentication';
import { setRequestLabels } from './request-labels';
import { deleteOptionsOf, isWatch, listOptionsOf, managedWriteOptionsOf, type Query, queryValue, watchParamsOf } from './query-options';
import { asksForYaml, toYaml } from './yaml-answer';
import { includeObjectOf, readsList, type Rendering, refuseMetadataMismatch, renderingOf, TableConvertor } from './table/table-convertor';
import { watchResponse } from './table/table-watch';
import { WatchService } from './watch.service';
import { NamespaceLifecycle } from './namespaces/namespace-lifecycle';
import { awaitResourceVersion } from './resource-version-gate';
import { checkResourceVersionParam } from './resource-version-param';
import { warningHeaderValue } from './warning-header';

type Req = FastifyRequest<{ Querystring: Query; Body: Buffer | undefined }>;

function send(reply: FastifyReply, code: number, body: object, warnings: string[] = []): void {
  if (warnings.length) void reply.header('warning', warnings);
  void reply.status(code).header('content-type', 'application/json').send(answerJson(body));
}

function sendYaml(reply: FastifyReply, code: number, body: object): void {
  void reply.status(code).header('content-type', 'application/yaml').send(toYaml(body));
}

/**
 * A write's answer in the media type the client asked for (JSON, or YAML as kube-apiserver
 * serves it), with the request's warnings and those the kind's strategy gave about what it stored.
 */
function sendWritten(req: Req, reply: FastifyReply, result: { code: number; body: object; warnings?: string[] }, warnings: string[] = []): void {
  // The request's warnings come formatted; the strategy's are texts.
  const all = [...warnings, ...(result.warnings ?? []).map(warningHeaderValue)];
  if (!asksForYaml(req.headers.accept)) return send(reply, result.code, result.body, all);
  if (all.length) void reply.header('warning', all);
  sendYaml(reply, result.code, result.body);
}

/**
 * kube-apiserver's delete handler answers 202 Accepted instead of 200 when the object was not
 * removed (finalizers keep it, the answer is the object, not a Status) and the client set
 * orphanDependents to false.
 */
function acceptedWhenKept<R extends { code: number; body: object }>(result: R): R {
  const kept = result.code === 200 && (result.body as { kind?: unknown }).kind !== 'Status';
  return kept ? { ...result, code: 202 } : result;
}

function metadataNameOf(body: unknown): string | undefined {
  const meta = (body as { metadata?: { name?: unknown } } | null)?.metadata;
  return typeof meta?.name === 'string' ? meta.name : undefined;
}

/**
 * The REST transport for every registered resource, Kubernetes path layout:
 * /apis/{group}/{version}[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]], and the core
 * group's /api/v1/namespaces[/{name}].
 * Parses, delegates to the resource's handler, and writes the answer; rules live in handlers.
 */
@Controller()
export class ResourceController {
  constructor(
    @Inject(ResourceRegistry) private readonly registry: ResourceRegistry,
    @Inject(WatchService) private readonly watches: WatchService,
    @Inject(TableConvertor) private readonly tables: TableConvertor,
    @Inject(FieldValidator) private readonly fields: FieldValidator,
    @Inject(NamespaceLifecycle) private readonly lifecycle: NamespaceLifecycle,
    @Inject(Database) private readonly db: Database,
  ) {}

  /** A GET answer as the Accept header asks: the object(s), a Table, or PartialObjectMetadata. */
  private sendRead(h: ResourceHandler, req: Req, reply: FastifyReply, body: object, isList: boolean, rendering: Rendering): void {
    if (rendering.as === 'Object' && rendering.yaml) return sendYaml(reply, 200, body);
    if (rendering.as === 'Object') return send(reply, 200, body);
    if (rendering.as === 'PartialObjectMetadata') {
      refuseMetadataMismatch(h.info, rendering, isList);
      return send(reply, 200, this.tables.render(h.info, rendering, body, readsList(h.info, isList), 'Metadata'));
    }
    send(reply, 200, this.tables.render(h.info, rendering, body, isList, includeObjectOf(req.query['includeObject'])));
  }

  private handler(group: string, version: string, resource: string, namespaced: boolean | undefined): ResourceHandler {
    const h = this.registry.require(group, version, resource);
    // A namespaced resource is reachable cluster-wide only for list/watch; cluster-scoped never under a namespace.
    if (namespaced === true && !h.info.namespaced) throw ApiError.routeNotFound();
    return h;
  }

  @All('apis/:group/:version/watch/namespaces/:namespace/:resource')
  async legacyWatchNamespaced(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    const h = this.handler(p['group']!, p['version']!, p['resource']!, true);
    await this.watch(h, p['namespace'], req, reply, {});
  }

  /** The legacy single-object watch: the name acts as a `metadata.name` field selector. */
  @All('apis/:group/:version/watch/namespaces/:namespace/:resource/:name')
  async legacyWatchNamespacedItem(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    const h = this.handler(p['group']!, p['version']!, p['resource']!, true);
    await this.watch(h, p['namespace'], req, reply, { name: p['name'] });
  }

  @All('apis/:group/:version/watch/:resource/:name')
  async legacyWatchItem(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.legacyWatchClusterScopedItem(this.handler(p['group']!, p['version']!, p['resource']!, undefined), p['name']!, req, reply);
  }

  private async legacyWatchClusterScopedItem(h: ResourceHandler, name: string, req: Req, reply: FastifyReply) {
    if (h.info.namespaced) throw ApiError.routeNotFound();
    await this.watch(h, undefined, req, reply, { name });
  }

  @All('apis/:group/:version/watch/:resource')
  async legacyWatch(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    const h = this.handler(p['group']!, p['version']!, p['resource']!, undefined);
    await this.watch(h, undefined, req, reply, {});
  }

  @All('apis/:group/:version/namespaces/:namespace/:resource')
  async namespacedCollection(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    const h = this.handler(p['group']!, p['version']!, p['resource']!, true);
    await this.collection(h, p['namespace'], req, reply);
  }

  @All('apis/:group/:version/namespaces/:namespace/:resource/:name')
  async namespacedItem(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    const h = this.handler(p['group']!, p['version']!, p['resource']!, true);
    await this.item(h, p['namespace']!, p['name']!, req, reply);
  }

  @All('apis/:group/:version/namespaces/:namespace/:resource/:name/:subresource')
  async namespacedSubresource(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    const h = this.handler(p['group']!, p['version']!, `${p['resource']}/${p['subresource']}`, true);
    await this.item(h, p['namespace']!, p['name']!, req, reply, true);
  }

  @All('apis/:group/:version/:resource')
  async clusterCollection(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.topLevelCollection(this.handler(p['group']!, p['version']!, p['resource']!, undefined), req, reply);
  }

  /** `/apis/{group}/{version}/{resource}` and `/api/v1/{resource}`: a cluster-scoped kind's collection, or a namespaced one's across namespaces. */
  private async topLevelCollection(h: ResourceHandler, req: Req, reply: FastifyReply) {
    if (h.info.namespaced) {
      // kube-apiserver gives a namespaced kind a cluster-wide path only for list/watch: a create-only
      // kind (imagestreamimports, imagestreammappings) has no route there at all.
      if (!h.list) throw ApiError.routeNotFound();
      if (req.method !== 'GET') throw ApiError.methodNotAllowed();
    }
    await this.collection(h, h.info.namespaced ? undefined : '', req, reply);
  }

  @All('apis/:group/:version/:resource/:name')
  async clusterItem(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.clusterScopedItem(this.handler(p['group']!, p['version']!, p['resource']!, undefined), p['name']!, req, reply);
  }

  private async clusterScopedItem(h: ResourceHandler, name: string, req: Req, reply: FastifyReply) {
    if (h.info.namespaced) throw ApiError.routeNotFound();
    await this.item(h, '', name, req, reply);
  }

  @All('apis/:group/:version/:resource/:name/:subresource')
  async clusterSubresource(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    const h = this.handler(p['group']!, p['version']!, `${p['resource']}/${p['subresource']}`, undefined);
    if (h.info.namespaced) throw ApiError.routeNotFound();
    await this.item(h, '', p['name']!, req, reply, true);
  }

  /** The core group (`/api/v1`): namespaces, then the other kinds below. */
  @All('api/:version/watch/namespaces')
  async coreWatch(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.watch(this.handler('', p['version']!, 'namespaces', undefined), undefined, req, reply, {});
  }

  @All('api/:version/watch/namespaces/:name')
  async coreWatchItem(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.watch(this.handler('', p['version']!, 'namespaces', undefined), undefined, req, reply, { name: p['name'] });
  }

  @All('api/:version/namespaces')
  async coreCollection(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.collection(this.handler('', p['version']!, 'namespaces', undefined), '', req, reply);
  }

  @All('api/:version/namespaces/:name')
  async coreItem(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.item(this.handler('', p['version']!, 'namespaces', undefined), '', p['name']!, req, reply);
  }

  /**
   * Namespaced core kinds (events): `/api/v1/namespaces/{ns}/{resource}[/{name}]`, all namespaces
   * and watch paths. The namespace's own subresources share the first form (`namespaces/{name}/status`,
   * `/finalize`): no core kind is named as one of them.
   */
  @All('api/:version/namespaces/:namespace/:resource')
  async coreNamespacedCollection(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    const own = this.registry.find('', p['version']!, `namespaces/${p['resource']}`);
    if (own) return this.item(own, '', p['namespace']!, req, reply, true);
    await this.collection(this.handler('', p['version']!, p['resource']!, true), p['namespace'], req, reply);
  }

  @All('api/:version/namespaces/:namespace/:resource/:name')
  async coreNamespacedItem(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.item(this.handler('', p['version']!, p['resource']!, true), p['namespace']!, p['name']!, req, reply);
  }

  /** Subresources of namespaced core kinds (`resourcequotas/{name}/status`). */
  @All('api/:version/namespaces/:namespace/:resource/:name/:subresource')
  async coreNamespacedSubresource(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    const h = this.handler('', p['version']!, `${p['resource']}/${p['subresource']}`, true);
    await this.item(h, p['namespace']!, p['name']!, req, reply, true);
  }

  @All('api/:version/watch/namespaces/:namespace/:resource')
  async coreLegacyWatchNamespaced(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.watch(this.handler('', p['version']!, p['resource']!, true), p['namespace'], req, reply, {});
  }

  /** The legacy single-object watch of a namespaced core kind (`/api/v1/watch/namespaces/{ns}/secrets/{name}`). */
  @All('api/:version/watch/namespaces/:namespace/:resource/:name')
  async coreLegacyWatchNamespacedItem(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.watch(this.handler('', p['version']!, p['resource']!, true), p['namespace'], req, reply, { name: p['name'] });
  }

  /** Core kinds at the top: namespaced ones across namespaces, cluster-scoped ones (persistentvolumes) as such. */
  @All('api/:version/:resource')
  async coreTopLevelCollection(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.topLevelCollection(this.handler('', p['version']!, p['resource']!, undefined), req, reply);
  }

  @All('api/:version/:resource/:name')
  async coreClusterItem(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.clusterScopedItem(this.handler('', p['version']!, p['resource']!, undefined), p['name']!, req, reply);
  }

  @All('api/:version/watch/:resource')
  async coreLegacyWatch(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.watch(this.handler('', p['version']!, p['resource']!, undefined), undefined, req, reply, {});
  }

  @All('api/:version/watch/:resource/:name')
  async coreLegacyWatchItem(@Param() p: Record<string, string>, @Req() req: Req, @Res() reply: FastifyReply) {
    await this.legacyWatchClusterScopedItem(this.handler('', p['version']!, p['resource']!, undefined), p['name']!, req, reply);
  }

  /** A list's `resourceVersion` is held to the kind's own count when it keeps one (the tag-change feed). */
  private async awaitListVersion(h: ResourceHandler, requested: string | undefined): Promise<void> {
    if (!h.awaitResourceVersion || requested === undefined || requested === '' || requested === '0') return awaitResourceVersion(this.db, requested);
    checkResourceVersionParam(requested);
    return h.awaitResourceVersion(requested);
  }

  /** namespace: a namespace, '' for cluster-scoped, undefined for all namespaces. */
  private async collection(h: ResourceHandler, namespace: string | undefined, req: Req, reply: FastifyReply) {
    const resource = h.info.resource;
    if (!servesCollection(h)) throw ApiError.routeNotFound();
    switch (req.method) {
      case 'GET': {
        if (isWatch(req.query)) return this.watch(h, namespace, req, reply);
        setRequestLabels(req, { verb: 'list', resource });
        if (!h.list) throw ApiError.methodNotAllowed();
        // The answer's media type is negotiated first, as kube-apiserver does (406 before a bad list option or any 404).
        const rendering = renderingOf(req.headers.accept);
        const listOptions = listOptionsOf(req.query, h.info, namespace || undefined);
        await this.awaitListVersion(h, queryValue(req.query, 'resourceVersion'));
        const list = await h.list(listOptions);
        return this.sendRead(h, req, reply, { kind: h.info.listKind, apiVersion: apiVersionOf(h.info), ...list }, true, rendering);
      }
      case 'POST': {
        setRequestLabels(req, { verb: 'create', resource });
        if (!h.create || namespace === undefined) throw ApiError.methodNotAllowed();
        // kube-apiserver's order: the body's media type (415), the options (422), then the body (400).
        requireObjectMediaType(req.headers['content-type']);
        const options = { ...managedWriteOptionsOf(req.query, 'CreateOptions', req.headers['user-agent']), user: callerOf(req) };
        const body = decodeWriteBody(h.info, req.headers['content-type'], req.body);
        this.lifecycle.assertCreatable(h.info, namespace, metadataNameOf(body));
        const duplicates = duplicateFieldsOf(req.headers['content-type'], req.body);
        const { document, warnings } = this.fields.admit(h.info, req.query['fieldValidation'], body, undefined, duplicates);
        const result = await h.create(namespace, document, options);
        return sendWritten(req, reply, result, warnings);
      }
      case 'DELETE': {
        setRequestLabels(req, { verb: 'deletecollection', resource });
        if (!h.list || !h.delete || !h.info.verbs.includes('deletecollection')) throw ApiError.methodNotAllowed();
        const options = deleteOptionsOf(req.query, decodeDeleteBody(req.headers['content-type'], req.body));
        const result = await deleteCollection(h, listOptionsOf(req.query, h.info, namespace || undefined), options);
        return sendWritten(req, reply, { code: 200, body: result });
      }
      default:
        setRequestLabels(req, { verb: req.method.toLowerCase(), resource });
        throw ApiError.methodNotAllowed();
    }
  }

  /** `subresource`: a `{name}/{subresource}` path, where DELETE never deletes the object (405, as kube-apiserver). */
  private async item(h: ResourceHandler, namespace: string, name: string, req: Req, reply: FastifyReply, subresource = false) {
    const resource = h.info.resource;
    if (!servesItems(h)) throw ApiError.routeNotFound();
    const type = req.headers['content-type'];
    switch (req.method) {
      case 'GET': {
        setRequestLabels(req, { verb: 'get', resource });
        if (!h.get) throw ApiError.methodNotAllowed();
        const rendering = renderingOf(req.headers.accept, h.info.noTable !== true);
        const listOptions = h.getTakesListOptionsOf ? listOptionsOf(req.query, h.getTakesListOptionsOf, namespace || undefined) : undefined;
        await awaitResourceVersion(this.db, queryValue(req.query, 'resourceVersion'));
        return this.sendRead(h, req, reply, await h.get(namespace, name, listOptions), false, rendering);
      }
      case 'PUT': {
        setRequestLabels(req, { verb: 'update', resource });
        if (!h.update) throw ApiError.methodNotAllowed();
        requireObjectMediaType(type);
        const options = managedWriteOptionsOf(req.query, 'UpdateOptions', req.headers['user-agent']);
        const body = decodeWriteBody(h.info, type, req.body);
        const duplicates = duplicateFieldsOf(type, req.body);
        const { document, warnings } = this.fields.admit(h.info, req.query['fieldValidation'], body, undefined, duplicates);
        const result = await h.update(namespace, name, document, options);
        return sendWritten(req, reply, result, warnings);
      }
      case 'PATCH': {
        setRequestLabels(req, { verb: 'patch', resource });
        if (!h.patch) throw ApiError.methodNotAllowed();
        // kube-apiserver's order: the router's 415, the options (422), then the patch body (400).
        const patchType = patchTypeOfRequest(type);
        const options = managedWriteOptionsOf(req.query, 'PatchOptions', req.headers['user-agent'], patchType);
        const { patch } = decodePatchBody(type, req.body, queryValue(req.query, 'fieldValidation'));
        if (patchType === 'apply') await this.refuseCreateWhileTerminating(h, namespace, name);
        const duplicates = duplicateFieldsOf(type, req.body, patchType);
        h.checkPatch?.(name, patchType, patch);
        const { document, warnings } = this.fields.admit(h.info, req.query['fieldValidation'], patch, patchType, duplicates);
        const result = await h.patch(namespace, name, patchType, document, options);
        return sendWritten(req, reply, result, warnings);
      }
      case 'DELETE': {
        setRequestLabels(req, { verb: 'delete', resource });
        if (!h.delete || subresource) throw ApiError.methodNotAllowed();
        const options = deleteOptionsOf(req.query, decodeDeleteBody(type, req.body));
        const result = await h.delete(namespace, name, options);
        // `orphanDependents: false`, the deprecated way to ask for cascading deletion.
        return sendWritten(req, reply, options.orphanDependents === false ? acceptedWhenKept(result) : result);
      }
      default:
        setRequestLabels(req, { verb: req.method.toLowerCase(), resource });
        throw ApiError.methodNotAllowed();
    }
  }

  /**
   * A server-side apply that would create a stored object is a create for NamespaceLifecycle (403
   * in a terminating namespace; a PUT never creates a stored kind: 404); updates stay allowed.
   * Views (istag, itag) write their stream through the registry, as upstream's do, without admission.
   */
  private async refuseCreateWhileTerminating(h: ResourceHandler, namespace: string, name: string): Promise<void> {
    if (!h.info.namespaced || !h.current || !this.lifecycle.isTerminating(namespace)) return;
    if ((await h.current(namespace, name)) !== null) return;
    this.lifecycle.assertCreatable(h.info, namespace, name);
  }

  /**
   * `legacy`: the request came by a legacy `/watch/…` path (with `name` when it names one object).
   * kube-apiserver installs those routes only for kinds that can be watched, so for the others
   * (the tag views, mappings, signatures) such a path is 404, while `?watch=1` on their list path
   * is 405 (`watch is not supported on resources of kind …` where the kind lists).
   */
  private async watch(h: ResourceHandler, namespace: string | undefined, req: Req, reply: FastifyReply, legacy?: { name?: string }) {
    setRequestLabels(req, { verb: 'watch', resource: h.info.resource });
    if (!servesCollection(h)) throw ApiError.routeNotFound();
    const servedByHandler = h.watchItself !== undefined && h.info.verbs.includes('watch');
    const watchable = servedByHandler || (h.current !== undefined && h.list !== undefined && h.info.verbs.includes('watch'));
    if (legacy && !watchable) throw ApiError.routeNotFound();
    if (req.method !== 'GET') throw ApiError.methodNotAllowed();
    if (!watchable) {
      if (h.list) throw ApiError.methodNotSupported(refOf(h.info), 'watch');
      throw ApiError.methodNotAllowed();
    }
    const name = legacy?.name;
    const rendering = renderingOf(req.headers.accept);
    const list = listOptionsOf(req.query, h.info, namespace || undefined);
    if (name !== undefined) list.fieldSelector = fieldSelectorForName(list.fieldSelector, name);
    const params = watchParamsOf(req.query);
    // YAML has no stream framing: kube-apiserver's stream negotiation refuses it (after the options).
    if (rendering.as === 'Object' && rendering.yaml) throw new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${watchMediaTypes.join(', ')}`);
    // TableOptions are read for a Table only (kube's optionsForTransform); a metadata watch
    // converts every event whichever of the two metadata kinds was asked for.
    const include = rendering.as === 'Table' ? includeObjectOf(req.query['includeObject']) : 'Metadata';
    const convert = rendering.as === 'Object' ? undefined : (obj: object) => this.tables.render(h.info, rendering, obj, false, include);
    // A bookmark is converted like any event (kube-apiserver's watch encoder transforms every event
    // but a Status): PartialObjectMetadata, or a Table whose one row is the bookmark's empty object.
    const res = watchResponse(reply.raw, convert);
    reply.hijack();
    const request = { handler: h, namespace: namespace || undefined, labelSelector: list.labelSelector, fieldSelector: list.fieldSelector, ...params };
    await (servedByHandler ? this.watches.serveByHandler(request, res) : this.watches.serve(request, res));
  }
}

/** The stream media types kube-apiserver names when a watch's Accept has none of them. */
const watchMediaTypes = ['application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];

/**
 * A watch of one named object selects it by `metadata.name`, as kube-apiserver treats the name of
 * a `/watch/…/{name}` path; a field selector given as well must select that same name (else 400).
 */
function fieldSelectorForName(selector: FieldSelector, name: string): FieldSelector {
  if (selector.length === 0) return [{ field: 'metadata.name', op: '=', value: name }];
  if (!selector.some((r) => r.field === 'metadata.name' && r.op === '=' && r.value === name)) {
    throw ApiError.badRequest("fieldSelector metadata.name doesn't match requested name");
  }
  return selector;
}

/*
 * Routes exist per verb, as kube-apiserver installs them: a path with no route at all is 404 (the
 * item path of a create-only kind such as ImageStreamMapping, which is how `kubectl apply` learns
 * the object is not there and creates it), a path with other methods is 405.
 */
function servesItems(h: ResourceHandler): boolean {
  return h.get !== undefined || h.update !== undefined || h.patch !== undefined || h.delete !== undefined;
}

function servesCollection(h: ResourceHandler): boolean {
  return h.list !== undefined || h.create !== undefined;
}
