import { ApiError, applyPatchDocument, checkNameAgainstUrl, fieldErr, labelSelectorText, type PatchType, type ResourceInfo, type WriteOptions, type WriteResult } from '@app/api-machinery';
import type { GenericStore, ResourceHandler } from '@app/persistence';
import type { Workload } from './trigger.types';

/** autoscaling/v1 Scale: what `kubectl scale` reads and writes through `<workload>/scale`. */
export interface Scale {
  kind: 'Scale';
  apiVersion: 'autoscaling/v1';
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string };
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

const SCALE_REF = { group: 'autoscaling', resource: 'scales', kind: 'Scale' };
const MAX_PATCH_ATTEMPTS = 5;

/** kube-apiserver's scaleFromDeployment / scaleFromStatefulSet: identity of the workload, its replicas and selector. */
export function scaleOf(w: Workload): Scale {
  const m = w.metadata;
  // apps/v1 defaults spec.replicas to 1 (kube-apiserver stores it so; here it may be left out).
  const replicas = w.spec?.['replicas'] === undefined ? 1 : w.spec['replicas'];
  const status = w.status?.['replicas'];
  const selector = labelSelectorText(w.spec?.['selector']);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    // ScaleSpec.replicas is omitempty: 0 is left out.
    spec: typeof replicas === 'number' && replicas !== 0 ? { replicas } : {},
    status: { replicas: typeof status === 'number' ? status : 0, ...(selector ? { selector } : {}) },
  };
}

/**
 * `deployments/scale` and `statefulsets/scale`: reads answer the workload's Scale; a PUT or a
 * patch of the Scale sets the workload's `spec.replicas` through its store (validation, a new
 * generation, a watch event), as kube-apiserver's ScaleREST updates the parent. Nothing runs
 * pods here, so `status.replicas` stays what the stored object says (0 when it says nothing).
 */
export class WorkloadScaleHandler implements ResourceHandler {
  constructor(
    readonly info: ResourceInfo,
    private readonly workloads: GenericStore<Workload>,
    /** The same table written as the subresource, so managedFields name `subresource: scale`. */
    private readonly writer: GenericStore<Workload>,
  ) {}

  async get(namespace: string, name: string): Promise<Scale> {
    return scaleOf(await this.workloads.get(namespace, name));
  }

  async update(namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.write(namespace, name, () => body, options);
  }

  async patch(namespace: string, name: string, type: PatchType, patch: unknown, options: WriteOptions): Promise<WriteResult> {
    for (let attempt = 1; ; attempt++) {
      let precondition: string | undefined;
      try {
        return await this.write(
          namespace,
          name,
          (current) => {
            const patched = applyPatchDocument(type, scaleOf(current), patch, {}) as Scale;
            const rv = patched.metadata?.resourceVersion;
            // A resourceVersion the patch sets is the client's precondition; otherwise the one read.
            precondition = rv !== current.metadata.resourceVersion ? rv : undefined;
            return patched;
          },
          options,
        );
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'Conflict' && precondition === undefined && attempt < MAX_PATCH_ATTEMPTS) continue;
        throw e;
      }
    }
  }

  private async write(namespace: string, name: string, scaleFrom: (current: Workload) => unknown, options: WriteOptions): Promise<WriteResult> {
    const current = await this.workloads.get(namespace, name);
    const body = scaleFrom(current);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ApiError.badRequest('the body of a Scale must be an object');
    const scale = body as Partial<Scale>;
    checkNameAgainstUrl(scale, namespace, name);
    const replicas = scale.spec?.replicas ?? 0;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas > 2147483647 || replicas < -2147483648) {
      throw ApiError.badRequest(`Scale in version "v1" cannot be handled as a Scale: spec.replicas: ${JSON.stringify(replicas)} is not an int32`);
    }
    if (replicas < 0) {
      throw ApiError.invalid(SCALE_REF, name, [fieldErr.invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
    }
    const uid = scale.metadata?.uid;
    if (uid && uid !== current.metadata.uid) {
      const ref = { group: this.info.group, resource: this.info.resource };
      throw ApiError.conflict(ref, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid}`);
    }
    // No resourceVersion: the update is unconditional (the workload kinds allow it upstream).
    const next: Workload = {
      ...current,
      metadata: { ...current.metadata, resourceVersion: scale.metadata?.resourceVersion || current.metadata.resourceVersion },
      spec: { ...current.spec, replicas },
    };
    const result = await this.writer.update(namespace, name, next, options);
    return { ...result, body: scaleOf(result.body as Workload) };
  }
}
