import { bodyKindOf, type ResourceInfo } from '@app/api-machinery';
import type { ResourceRegistry } from '@app/persistence';
import { contentHash } from '../conditional-get';
import { imageSchemas, schemaNameOf } from './image-schemas';
import { META, metaSchemas } from './meta-schemas';
import { render, type Schema } from './schema';
import { eventSchemas } from './event-schemas';
import { triggerActionSchemas, triggerActionValidationSchemas } from './trigger-action-schemas';
import { triggerSchemas } from './trigger-schemas';
import { quotaSchemas } from './quota-schemas';
import { secretSchemas } from './secret-schemas';

type Json = Record<string, unknown>;
type Action = 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection';

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  action: Action;
  verb: string;
  /** Request body schema name (writes). */
  body?: string;
  /** Response schema name. */
  response: string;
  code: string;
  query: string[];
}

const writeQuery = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'];
const listQuery = ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'resourceVersionMatch', 'timeoutSeconds', 'watch', 'allowWatchBookmarks', 'pretty'];

const queryParameters: Record<string, { description: string; type: 'string' | 'integer' | 'boolean' }> = {
  dryRun: { type: 'string', description: 'When present ("All"), modifications are not persisted.' },
  fieldManager: {
    type: 'string',
    description: 'A name associated with the actor making these changes, recorded in metadata.managedFields (at most 128 bytes; required for apply patches).',
  },
  force: { type: 'boolean', description: 'Apply patches only: take over fields other managers own instead of failing with a conflict.' },
  fieldValidation: {
    type: 'string',
    description: 'How to treat unknown fields in the body: Ignore, Warn (the default: a Warning header per field) or Strict (400 BadRequest).',
  },
  pretty: { type: 'string', description: "'true' indents the JSON answer, 'false' keeps it compact; when absent, curl, Wget and browsers get it indented." },
  labelSelector: { type: 'string', description: 'A selector to restrict the list of returned objects by their labels.' },
  fieldSelector: { type: 'string', description: 'A selector on metadata.name / metadata.namespace (and a few kind-specific fields).' },
  limit: { type: 'integer', description: 'Maximum number of items to return; more items are signalled by metadata.continue.' },
  continue: { type: 'string', description: 'The continue token of the previous page.' },
  resourceVersion: { type: 'string', description: 'For watch: changes after this version. For list: accepted, lists are always current.' },
  resourceVersionMatch: { type: 'string', description: 'Accepted for compatibility.' },
  timeoutSeconds: { type: 'integer', description: 'Timeout for list/watch calls.' },
  watch: { type: 'boolean', description: 'Watch for changes to the described resources (watchable resources only).' },
  allowWatchBookmarks: { type: 'boolean', description: 'Ask for periodic BOOKMARK events on a watch.' },
  gracePeriodSeconds: { type: 'integer', description: 'Accepted for compatibility; objects here are deleted at once.' },
  orphanDependents: { type: 'boolean', description: 'Deprecated: true is propagationPolicy Orphan, false is Background.' },
  propagationPolicy: {
    type: 'string',
    description: 'What happens to dependents: Orphan keeps them (their ownerReference to the object goes); Background (the default) and Foreground delete them after the object.',
  },
};

/** A delete's query parameters, as kube-apiserver lists them (the same fields as a DeleteOptions body). */
const deleteQuery = ['dryRun', 'gracePeriodSeconds', 'orphanDependents', 'propagationPolicy', 'pretty'];

const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

function upperFirst(v: string): string {
  return v.charAt(0).toUpperCase() + v.slice(1);
}

/** `image.openshift.io` + `v1` → `ImageOpenshiftIoV1` (the core group: `CoreV1`), as Kubernetes operation ids spell groups. */
function groupId(group: string, version: string): string {
  return [...(group || 'core').split('.'), version].map(upperFirst).join('');
}

/** Where a group-version is served: `apis/<group>/<version>`, the core group at `api/<version>`. */
function groupVersionPath(info: ResourceInfo): string {
  return info.group ? `apis/${info.group}/${info.version}` : `api/${info.version}`;
}

/**
 * The OpenAPI documents of every registered resource: `/openapi/v2` (JSON) and `/openapi/v3`
 * (a root listing one document per group-version). Paths carry `x-kubernetes-group-version-kind`
 * and the `fieldValidation` parameter, which is how kubectl decides that the server validates
 * fields itself; schemas carry the strategic-merge keys `kubectl apply` uses. Built once, on
 * first use (the registry is complete after boot).
 */
export class OpenApiDocuments {
  private cache: { v2?: Json; v3: Map<string, { doc: Json; json: string; hash: string }>; schemas?: Record<string, Schema> } = { v3: new Map() };

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly version = 'v1.32.0',
  ) {}

  /** Every schema this server publishes, by definition name. */
  get schemas(): Record<string, Schema> {
    if (this.cache.schemas) return this.cache.schemas;
    const out: Record<string, Schema> = { ...metaSchemas, ...eventSchemas, ...quotaSchemas, ...secretSchemas, ...imageSchemas, ...triggerSchemas, ...triggerActionSchemas };
    for (const h of this.registry.all()) {
      const body = bodyKindOf(h.info);
      for (const kind of h.info.responseKind ? [body.kind] : [h.info.kind, h.info.listKind]) {
        const name = schemaNameOf(body.group, body.version, kind);
        // No group-version-kind tag: kubectl then treats the kind as unknown to the documents
        // (no client-side validation; patches from its built-in types) instead of failing to
        // find fields such as `metadata` in a schema that describes none.
        out[name] ??= {
          type: 'object',
          description: `${kind} (no published schema: fields are kept as sent).`,
          'x-kubernetes-preserve-unknown-fields': true,
        };
      }
    }
    this.cache.schemas = out;
    return out;
  }

  /**
   * The schema field validation checks a resource's bodies against, or undefined when it publishes
   * none of its own. The trigger action kinds' published schemas only document: their envelope and
   * metadata are checked here, their spec by their handlers.
   */
  schemaOf(info: ResourceInfo): Schema | undefined {
    const body = bodyKindOf(info);
    const name = schemaNameOf(body.group, body.version, body.kind);
    return metaSchemas[name] ?? quotaSchemas[name] ?? secretSchemas[name] ?? imageSchemas[name] ?? triggerSchemas[name] ?? triggerActionValidationSchemas[name];
  }

  private operations(info: ResourceInfo, scope: 'collection' | 'all' | 'item'): Operation[] {
    const body = bodyKindOf(info);
    const kind = schemaNameOf(body.group, body.version, body.kind);
    const listKind = schemaNameOf(info.group, info.version, info.listKind);
    const status = `${META}.Status`;
    const sub = info.resource.includes('/');
    const has = (v: string) => info.verbs.includes(v);
    const ops: Operation[] = [];
    if (scope === 'all') {
      if (has('list')) ops.push({ method: 'get', action: 'list', verb: 'listForAllNamespaces', response: listKind, code: '200', query: listQuery });
      return ops;
    }
    if (scope === 'collection') {
      if (has('list')) ops.push({ method: 'get', action: 'list', verb: 'list', response: listKind, code: '200', query: listQuery });
      if (has('create')) {
        const response = info.kind === 'ImageStreamMapping' ? status : kind;
        ops.push({ method: 'post', action: 'post', verb: 'create', body: kind, response, code: '201', query: writeQuery });
      }
      if (has('deletecollection')) {
        const query = [...deleteQuery.filter((q) => q !== 'pretty'), ...listQuery.filter((q) => q !== 'watch' && q !== 'allowWatchBookmarks')];
        ops.push({ method: 'delete', action: 'deletecollection', verb: 'deletecollection', body: `${META}.DeleteOptions`, response: status, code: '200', query });
      }
      return ops;
    }
    if (has('get')) ops.push({ method: 'get', action: 'get', verb: 'read', response: kind, code: '200', query: ['pretty'] });
    if (has('update')) ops.push({ method: 'put', action: 'put', verb: 'replace', body: kind, response: kind, code: '200', query: writeQuery });
    if (has('patch')) ops.push({ method: 'patch', action: 'patch', verb: 'patch', body: `${META}.Patch`, response: kind, code: '200', query: [...writeQuery, 'force'] });
    // kubectl decides whether the server validates fields by looking for `fieldValidation` on a
    // kind's PATCH operation; without one it falls back to the protobuf OpenAPI v2 document, which
    // is not served. Create-only kinds therefore list a PATCH that answers 405.
    if (!has('patch') && has('create') && !sub) {
      ops.push({ method: 'patch', action: 'patch', verb: 'patch', body: `${META}.Patch`, response: status, code: '405', query: writeQuery });
    }
    if (has('delete') && !sub) ops.push({ method: 'delete', action: 'delete', verb: 'delete', body: `${META}.DeleteOptions`, response: status, code: '200', query: deleteQuery });
    return ops;
  }

  /** Path → operations of one resource (namespaced or cluster-scoped, with subresource). */
  private pathsOf(info: ResourceInfo): { path: string; scope: 'collection' | 'all' | 'item'; namespaced: boolean }[] {
    const base = `/${groupVersionPath(info)}`;
    const [resource, sub] = info.resource.split('/') as [string, string | undefined];
    const prefix = info.namespaced ? `${base}/namespaces/{namespace}` : base;
    if (sub) return [{ path: `${prefix}/${resource}/{name}/${sub}`, scope: 'item', namespaced: info.namespaced }];
    const out: { path: string; scope: 'collection' | 'all' | 'item'; namespaced: boolean }[] = [
      { path: `${prefix}/${resource}`, scope: 'collection', namespaced: info.namespaced },
      { path: `${prefix}/${resource}/{name}`, scope: 'item', namespaced: info.namespaced },
    ];
    if (info.namespaced) out.push({ path: `${base}/${resource}`, scope: 'all', namespaced: false });
    return out;
  }

  private operationId(info: ResourceInfo, op: Operation, namespaced: boolean): string {
    const [, sub] = info.resource.split('/');
    const list = op.action === 'list' && op.verb !== 'listForAllNamespaces' ? 'List' : '';
    const scope = namespaced && op.verb !== 'listForAllNamespaces' ? 'Namespaced' : '';
    const kind = info.kind + (sub ? upperFirst(sub) : '');
    // kube-apiserver: deleteImageOpenshiftIoV1CollectionNamespacedImageStream.
    if (op.verb === 'deletecollection') return `delete${groupId(info.group, info.version)}Collection${scope}${kind}`;
    const verb = op.verb === 'listForAllNamespaces' ? 'list' : op.verb;
    return `${verb}${groupId(info.group, info.version)}${scope}${kind}${list}${op.verb === 'listForAllNamespaces' ? 'ForAllNamespaces' : ''}`;
  }

  private parameters(path: string, op: Operation, version: 2 | 3): Json[] {
    const params: Json[] = [];
    for (const name of ['name', 'namespace']) {
      if (!path.includes(`{${name}}`)) continue;
      const description = name === 'name' ? 'name of the resource' : 'object name and auth scope, such as for teams and projects';
      params.push(version === 2 ? { name, in: 'path', required: true, type: 'string', description, uniqueItems: true } : { name, in: 'path', required: true, description, schema: { type: 'string', uniqueItems: true } });
    }
    for (const name of op.query) {
      const q = queryParameters[name]!;
      params.push(version === 2 ? { name, in: 'query', type: q.type, description: q.description, uniqueItems: true } : { name, in: 'query', description: q.description, schema: { type: q.type, uniqueItems: true } });
    }
    if (version === 2 && op.body) params.push({ name: 'body', in: 'body', required: op.method !== 'delete', schema: { $ref: `#/definitions/${op.body}` } });
    return params;
  }

  private operation(info: ResourceInfo, path: string, op: Operation, namespaced: boolean, version: 2 | 3): Json {
    const ref = (name: string) => (version === 2 ? { $ref: `#/definitions/${name}` } : { $ref: `#/components/schemas/${name}` });
    // Every operation of a resource names the resource's kind, list included (kube-apiserver's
    // installer tags routes with the request scope's kind): kubectl explain finds the kind this way.
    const body = bodyKindOf(info);
    const gvk = { group: body.group, kind: body.kind, version: body.version };
    const out: Json = {
      description: `${op.verb} ${op.action === 'list' ? info.listKind : info.kind}`,
      operationId: this.operationId(info, op, namespaced),
      tags: [`${(info.group || 'core').split('.').map((p, i) => (i ? upperFirst(p) : p)).join('')}_${info.version}`],
      parameters: this.parameters(path, op, version),
      'x-kubernetes-action': op.action,
      'x-kubernetes-group-version-kind': gvk,
    };
    if (version === 2) {
      out['consumes'] = op.method === 'patch' ? patchTypes : ['*/*'];
      out['produces'] = ['application/json', 'application/yaml'];
      out['schemes'] = ['https'];
      out['responses'] = { [op.code]: { description: op.code === '201' ? 'Created' : 'OK', schema: ref(op.response) }, '401': { description: 'Unauthorized' } };
    } else {
      if (op.body) {
        const types = op.method === 'patch' ? patchTypes : ['*/*'];
        out['requestBody'] = { content: Object.fromEntries(types.map((t) => [t, { schema: ref(op.body!) }])), required: op.method !== 'delete' };
      }
      out['responses'] = {
        [op.code]: { description: op.code === '201' ? 'Created' : 'OK', content: { 'application/json': { schema: ref(op.response) }, 'application/yaml': { schema: ref(op.response) } } },
        '401': { description: 'Unauthorized' },
      };
    }
    return out;
  }

  private paths(version: 2 | 3, filter: (info: ResourceInfo) => boolean): Json {
    const paths: Record<string, Json> = {};
    for (const h of this.registry.all().filter((x) => filter(x.info))) {
      for (const { path, scope, namespaced } of this.pathsOf(h.info)) {
        const ops = this.operations(h.info, scope);
        if (!ops.length) continue;
        const item = (paths[path] ??= {});
        for (const op of ops) item[op.method] = this.operation(h.info, path, op, namespaced, version);
      }
    }
    return Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  private renderedSchemas(version: 2 | 3): Json {
    return Object.fromEntries(Object.entries(this.schemas).map(([name, schema]) => [name, render(schema, version)]));
  }

  /** The whole API as one Swagger 2.0 document. */
  v2(): Json {
    this.cache.v2 ??= {
      swagger: '2.0',
      info: { title: 'imagestreamd', version: this.version },
      paths: this.paths(2, () => true),
      definitions: this.renderedSchemas(2),
    };
    return this.cache.v2;
  }

  /** Group-versions served (`apis/<group>/<version>`, `api/v1`). */
  private groupVersions(): string[] {
    return [...new Set(this.registry.all().map((h) => groupVersionPath(h.info)))].sort();
  }

  /** One OpenAPI 3.0 document per group-version, with the hash its URL carries. */
  v3(groupVersion: string): { doc: Json; json: string; hash: string } | undefined {
    if (!this.groupVersions().includes(groupVersion)) return undefined;
    let entry = this.cache.v3.get(groupVersion);
    if (!entry) {
      const doc: Json = {
        openapi: '3.0.0',
        info: { title: 'imagestreamd', version: this.version },
        paths: this.paths(3, (info) => groupVersionPath(info) === groupVersion),
        components: { schemas: this.renderedSchemas(3) },
      };
      const json = JSON.stringify(doc);
      entry = { doc, json, hash: contentHash(json) };
      this.cache.v3.set(groupVersion, entry);
    }
    return entry;
  }

  /** `/openapi/v3`: where each group-version's document lives (URLs carry the content hash). */
  v3Root(): Json {
    const paths: Record<string, Json> = {};
    for (const gv of this.groupVersions()) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${this.v3(gv)!.hash}` };
    return { paths };
  }
}
