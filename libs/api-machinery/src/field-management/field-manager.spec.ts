import { ApiError } from '../api-error';
import { applyConfiguration, trackUpdate } from './field-manager';
import { fromFieldsV1, pathString, toFieldsV1 } from './field-set';
import { fieldSetOf, fieldValues } from './field-values';
import { listShapesOf } from './list-shapes';
import type { ManagedFieldsEntry } from './managed-fields';

const shapes = listShapesOf({ 'spec.tags': 'name' });
const writer = (manager: string) => ({ manager, apiVersion: 'image.openshift.io/v1' });
const T1 = '2026-11-30T10:00:00Z';
const T2 = '2026-11-30T11:00:00Z';

const stream = (tags: { name: string; from?: string }[], labels?: Record<string, string>) => ({
  apiVersion: 'image.openshift.io/v1',
  kind: 'ImageStream',
  metadata: { name: 'web', namespace: 'demo', uid: 'u1', resourceVersion: '7', ...(labels ? { labels } : {}) },
  spec: { tags: tags.map((t) => ({ name: t.name, ...(t.from ? { from: { kind: 'DockerImage', name: t.from } } : {}) })) },
  status: { dockerImageRepository: 'r/web' },
});

const byManager = (entries: ManagedFieldsEntry[]) => Object.fromEntries(entries.map((e) => [`${e.manager}/${e.operation}`, e]));

describe('field sets', () => {
  it('names associative items by key, set members by value, and owns granular maps themselves', () => {
    const values = fieldValues(
      { ...stream([{ name: 'latest', from: 'a:1' }], { app: 'web' }), metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['x/y'] } },
      shapes,
    );
    expect(toFieldsV1(fieldSetOf(values))).toEqual({
      'f:metadata': { 'f:finalizers': { 'v:"x/y"': {} }, 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:tags': { 'k:{"name":"latest"}': { '.': {}, 'f:from': { 'f:kind': {}, 'f:name': {} }, 'f:name': {} } } },
    });
  });

  it('leaves out identity, server-set metadata and status', () => {
    const paths = [...fieldSetOf(fieldValues(stream([]), shapes))].join(' ');
    expect(paths).not.toMatch(/apiVersion|kind|f:name|uid|resourceVersion|status/);
  });

  it('reads FieldsV1 back to the same set and prints paths as structured-merge-diff does', () => {
    const set = fieldSetOf(fieldValues(stream([{ name: 'latest', from: 'a:1' }], { app: 'web' }), shapes));
    expect(fromFieldsV1(toFieldsV1(set))).toEqual(set);
    expect(pathString(['f:spec', 'f:tags', 'k:{"name":"latest"}', 'f:from', 'f:name'])).toBe('.spec.tags[name="latest"].from.name');
    expect(pathString(['f:metadata', 'f:finalizers', 'v:"x/y"'])).toBe('.metadata.finalizers[="x/y"]');
  });
});

describe('server-side apply', () => {
  it('creates with the applier owning exactly what it applied', () => {
    const config = stream([{ name: 'latest', from: 'a:1' }]);
    const { managedFields } = applyConfiguration(shapes, null, undefined, config, writer('kubectl'), false, T1);
    expect(managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'image.openshift.io/v1',
        time: T1,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:tags': { 'k:{"name":"latest"}': { '.': {}, 'f:from': { 'f:kind': {}, 'f:name': {} }, 'f:name': {} } } } },
      },
    ]);
  });

  it('is idempotent: the same configuration again changes neither the object nor the time', () => {
    const config = stream([{ name: 'latest', from: 'a:1' }]);
    const first = applyConfiguration(shapes, null, undefined, config, writer('kubectl'), false, T1);
    const again = applyConfiguration(shapes, first.object, first.managedFields, config, writer('kubectl'), false, T2);
    expect(again.object).toEqual(first.object);
    expect(again.managedFields).toEqual(first.managedFields);
  });

  it('refuses to change a field another manager owns, naming the manager and the field; force takes it over', () => {
    const live = stream([{ name: 'latest', from: 'a:1' }]);
    const owners = trackUpdate(shapes, null, undefined, live, undefined, writer('kubectl-edit'), T1);
    const config = stream([{ name: 'latest', from: 'a:2' }]);
    let error: unknown;
    try {
      applyConfiguration(shapes, live, owners, config, writer('kubectl'), false, T2);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    const status = (error as ApiError).toStatus();
    expect(status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using image.openshift.io/v1: .spec.tags[name="latest"].from.name',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit" using image.openshift.io/v1', field: '.spec.tags[name="latest"].from.name' }] },
    });

    const forced = applyConfiguration(shapes, live, owners, config, writer('kubectl'), true, T2);
    expect((forced.object as { spec: { tags: { from: { name: string } }[] } }).spec.tags[0]!.from.name).toBe('a:2');
    const managers = byManager(forced.managedFields);
    // The editor keeps what the applier did not change; the changed field is the applier's alone.
    expect(managers['kubectl-edit/Update']!.fieldsV1).toEqual({
      'f:spec': { 'f:tags': { 'k:{"name":"latest"}': { '.': {}, 'f:from': { 'f:kind': {} }, 'f:name': {} } } },
    });
    expect(managers['kubectl/Apply']!.fieldsV1).toEqual({
      'f:spec': { 'f:tags': { 'k:{"name":"latest"}': { '.': {}, 'f:from': { 'f:kind': {}, 'f:name': {} }, 'f:name': {} } } },
    });
  });

  it('shares a field applied with the value it already has instead of conflicting', () => {
    const live = stream([{ name: 'latest', from: 'a:1' }]);
    const owners = trackUpdate(shapes, null, undefined, live, undefined, writer('kubectl-create'), T1);
    const { managedFields } = applyConfiguration(shapes, live, owners, live, writer('kubectl'), false, T2);
    const managers = byManager(managedFields);
    expect(managers['kubectl-create/Update']!.fieldsV1).toEqual(managers['kubectl/Apply']!.fieldsV1);
  });

  it('removes what the applier stopped applying unless another manager owns it', () => {
    const both = stream([{ name: 'latest', from: 'a:1' }, { name: 'stable', from: 'a:0' }], { app: 'web', tier: 'front' });
    const first = applyConfiguration(shapes, null, undefined, both, writer('kubectl'), false, T1);
    const fewer = stream([{ name: 'latest', from: 'a:1' }], { app: 'web' });
    const second = applyConfiguration(shapes, first.object, first.managedFields, fewer, writer('kubectl'), false, T2);
    expect(second.object['metadata']).toMatchObject({ labels: { app: 'web' } });
    expect((second.object as { spec: { tags: { name: string }[] } }).spec.tags.map((t) => t.name)).toEqual(['latest']);

    // Another applier co-owning the label keeps it.
    const other = applyConfiguration(shapes, first.object, first.managedFields, stream([], { tier: 'front' }), writer('ops'), false, T1);
    const third = applyConfiguration(shapes, other.object, other.managedFields, fewer, writer('kubectl'), false, T2);
    expect(third.object['metadata']).toMatchObject({ labels: { app: 'web', tier: 'front' } });
  });

  it('never owns metadata itself: an empty metadata applied, then left out, keeps the identity of the object', () => {
    const live = stream([{ name: 'latest', from: 'a:1' }]);
    const bare = { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream' };
    const first = applyConfiguration(shapes, live, undefined, { ...bare, metadata: {} }, writer('fuzz'), true, T1);
    expect(byManager(first.managedFields)['fuzz/Apply']?.fieldsV1).toBeUndefined();
    const second = applyConfiguration(shapes, first.object, first.managedFields, { ...bare, metadata: { name: 'web' } }, writer('fuzz'), true, T2);
    expect(second.object['metadata']).toMatchObject({ name: 'web', namespace: 'demo', uid: 'u1' });
  });

  it('keeps what it still applies inside a map it owned as itself (kubectl moving client-side apply ownership to its applier)', () => {
    // kubectl apply --server-side over a client-side apply copies the Update manager's fields,
    // maps owned as themselves (`.`) included, into the applier's entry; the next apply no longer
    // names the labels map itself, but still sets a label in it.
    const live = stream([{ name: 'latest', from: 'a:1' }], { team: 'web' });
    const upgraded: ManagedFieldsEntry[] = [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'image.openshift.io/v1',
        time: T1,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:team': {} } },
          'f:spec': { 'f:tags': { 'k:{"name":"latest"}': { '.': {}, 'f:from': { 'f:kind': {}, 'f:name': {} }, 'f:name': {} } } },
        },
      },
    ];
    const { object } = applyConfiguration(shapes, live, upgraded, stream([{ name: 'latest', from: 'a:1' }], { team: 'web' }), writer('kubectl'), false, T2);
    expect(object['metadata']).toMatchObject({ labels: { team: 'web' } });
  });

  it('gives the fields of an object nobody applied before to before-first-apply, so changing them conflicts', () => {
    const live = stream([{ name: 'latest', from: 'a:1' }]);
    expect(() => applyConfiguration(shapes, live, undefined, stream([{ name: 'latest', from: 'a:2' }]), writer('kubectl'), false, T1)).toThrow(
      /conflict with "before-first-apply" using image.openshift.io\/v1: \.spec\.tags\[name="latest"\]\.from\.name/,
    );
  });
});

describe('update tracking', () => {
  it('hands a changed field to the writer and drops managers left with nothing', () => {
    const created = stream([{ name: 'latest', from: 'a:1' }]);
    const first = trackUpdate(shapes, null, undefined, created, undefined, writer('kubectl-create'), T1);
    const edited = stream([{ name: 'latest', from: 'a:2' }]);
    const second = trackUpdate(shapes, created, first, edited, first, writer('kubectl-edit'), T2);
    const managers = byManager(second);
    expect(managers['kubectl-edit/Update']).toMatchObject({
      time: T2,
      fieldsV1: { 'f:spec': { 'f:tags': { 'k:{"name":"latest"}': { 'f:from': { 'f:name': {} } } } } },
    });
    expect(managers['kubectl-create/Update']!.time).toBe(T1);
  });

  it('an unchanged write records nothing new', () => {
    const obj = stream([{ name: 'latest' }]);
    const first = trackUpdate(shapes, null, undefined, obj, undefined, writer('a'), T1);
    expect(trackUpdate(shapes, obj, first, obj, undefined, writer('b'), T2)).toEqual(first);
  });

  it('[] or [{}] in the request clears the managers; other entries replace them', () => {
    const obj = stream([{ name: 'latest' }]);
    const first = trackUpdate(shapes, null, undefined, obj, undefined, writer('a'), T1);
    expect(trackUpdate(shapes, obj, first, obj, [{}], writer('b'), T2)).toEqual([]);
    expect(trackUpdate(shapes, obj, first, obj, [], writer('b'), T2)).toEqual([]);
    const given: ManagedFieldsEntry[] = [{ manager: 'x', operation: 'Apply', apiVersion: 'image.openshift.io/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];
    expect(trackUpdate(shapes, obj, first, obj, given, writer('b'), T2).map((e) => e.manager)).toEqual(['x']);
  });

  it('an update of an object nobody manages records nobody; a create records its writer (kube skipNonAppliedManager)', () => {
    const live = stream([]);
    const next = stream([], { team: 'a' });
    expect(trackUpdate(shapes, live, undefined, next, undefined, writer('kubectl-label'), T1)).toEqual([]);
    expect(trackUpdate(shapes, live, [], next, [{}], writer('kubectl-label'), T1)).toEqual([]);
    expect(trackUpdate(shapes, null, undefined, next, undefined, writer('kubectl-create'), T1).map((e) => e.manager)).toEqual(['kubectl-create']);
  });

  it('folds update managers beyond ten into ancient-changes', () => {
    let live: ReturnType<typeof stream> = stream([]);
    let entries: ManagedFieldsEntry[] = [];
    for (let i = 0; i < 12; i++) {
      const next = stream([], { [`l${i}`]: 'v' });
      next.metadata.labels = { ...(live.metadata as { labels?: Record<string, string> }).labels, [`l${i}`]: 'v' };
      // The first write creates the object (an update of an object nobody manages records nobody).
      entries = trackUpdate(shapes, i === 0 ? null : live, entries, next, entries, writer(`m${i}`), `2026-11-30T10:00:${String(i).padStart(2, '0')}Z`);
      live = next;
    }
    expect(entries).toHaveLength(10);
    expect(entries.map((e) => e.manager)).toContain('ancient-changes');
  });
});

describe('server-side apply on pod templates', () => {
  const pod = 'spec.template.spec';
  const podShapes = listShapesOf({ [`${pod}.containers`]: 'name', [`${pod}.containers[].env`]: 'name' }, ['spec.selector']);
  const deployment = (env: string[], selector: Record<string, string> = { app: 'web' }) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { selector: { matchLabels: selector }, template: { spec: { containers: [{ name: 'web', env: env.map((name) => ({ name, value: '1' })) }] } } },
  });

  it('merges env by name between managers (a sidecar injector adds B next to A)', () => {
    const first = applyConfiguration(podShapes, null, undefined, deployment(['A']), { manager: 'kubectl', apiVersion: 'apps/v1' }, false, T1);
    const second = applyConfiguration(podShapes, first.object, first.managedFields, deployment(['B']), { manager: 'injector', apiVersion: 'apps/v1' }, false, T2);
    const env = (second.object as any).spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
    expect(env).toEqual(['A', 'B']);
  });

  it('owns an atomic struct (the selector) as one field', () => {
    const { managedFields } = applyConfiguration(podShapes, null, undefined, deployment([]), { manager: 'kubectl', apiVersion: 'apps/v1' }, false, T1);
    expect((managedFields[0]!.fieldsV1 as any)['f:spec']['f:selector']).toEqual({});
  });
});
