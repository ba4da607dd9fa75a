import { ApiError, apiVersionOf, registerKind } from '@app/api-machinery';
import type { ResourceHandler } from './store/resource-handler';

/** Every served resource, keyed by group/version/resource; discovery and routing read it. */
export class ResourceRegistry {
  private readonly handlers = new Map<string, ResourceHandler>();

  private key(group: string, version: string, resource: string): string {
    return `${group}/${version}/${resource}`;
  }

  register(handler: ResourceHandler): void {
    const k = this.key(handler.info.group, handler.info.version, handler.info.resource);
    if (this.handlers.has(k)) throw new Error(`resource ${k} registered twice`);
    this.handlers.set(k, handler);
    registerKind(apiVersionOf(handler.info), handler.info.kind);
  }

  find(group: string, version: string, resource: string): ResourceHandler | undefined {
    return this.handlers.get(this.key(group, version, resource));
  }

  require(group: string, version: string, resource: string): ResourceHandler {
    const h = this.find(group, version, resource);
    if (!h) throw ApiError.routeNotFound();
    return h;
  }

  all(): ResourceHandler[] {
    return [...this.handlers.values()];
  }
}
