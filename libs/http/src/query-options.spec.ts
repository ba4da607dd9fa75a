import type { ApiError, ResourceInfo } from '@app/api-machinery';
import { fieldValidationOf } from './openapi/field-validation';
import { deleteOptionsOf, isWatch, listOptionsOf, managedWriteOptionsOf, watchParamsOf } from './query-options';
import { includeObjectOf } from './table/table-convertor';

const info = {
  group: 'image.openshift.io',
  version: 'v1',
  resource: 'imagestreams',
  singularName: 'imagestream',
  kind: 'ImageStream',
  listKind: 'ImageStreamList',
  namespaced: true,
  verbs: ['list', 'watch'],
  fieldSelectors: [],
  mergeKeys: {},
} as unknown as ResourceInfo;

describe('query parameters given more than once', () => {
  // apimachinery converts url.Values into ListOptions with Convert_Slice_string_To_* (in[0]).
  it('take the first value, as apimachinery does', () => {
    expect(isWatch({ watch: ['true', 'false'] })).toBe(true);
    expect(isWatch({ watch: ['0', '1'] })).toBe(false);
    const list = listOptionsOf({ labelSelector: ['team=web', 'team=db'], limit: ['5', '50'] }, info, 'ns');
    expect(list.labelSelector).toEqual([{ key: 'team', op: 'in', values: ['web'] }]);
    expect(list.limit).toBe(5);
    expect(watchParamsOf({ watch: '1', resourceVersion: ['7', '9'] }).resourceVersion).toBe('7');
    expect(fieldValidationOf(['Strict', 'Ignore'])).toBe('Strict');
    expect(includeObjectOf(['None', 'Object'])).toBe('None');
  });
});

describe('DeleteOptions body kind', () => {
  it('a body naming another kind is 400 and deletes nothing, worded as the meta scheme decodes it', () => {
    expect(() => deleteOptionsOf({}, { kind: 'ImageStream', apiVersion: 'image.openshift.io/v1' })).toThrow(
      'no kind "ImageStream" is registered for version "image.openshift.io/v1" in scheme "k8s.io/apimachinery/pkg/apis/meta/internalversion/scheme/register.go:27"',
    );
    expect(() => deleteOptionsOf({}, { kind: 'Status', apiVersion: 'v1' })).toThrow('decoded object cannot be converted to DeleteOptions');
    expect(() => deleteOptionsOf({}, { kind: 'GetOptions', apiVersion: 'meta.k8s.io/v1' })).toThrow('decoded object cannot be converted to DeleteOptions');
  });
  it('DeleteOptions in any apiVersion, or no kind, is DeleteOptions', () => {
    for (const apiVersion of ['v1', 'meta.k8s.io/v1', 'image.openshift.io/v1', undefined]) {
      expect(deleteOptionsOf({}, { kind: 'DeleteOptions', apiVersion, propagationPolicy: 'Orphan' }).propagationPolicy).toBe('Orphan');
    }
    expect(deleteOptionsOf({}, { kind: '', dryRun: ['All'] }).dryRun).toBe(true);
  });
});

describe('DeleteOptions propagation policy', () => {
  // kube-apiserver's shouldOrphanDependents: the legacy orphanDependents true is Orphan, false is not.
  it('is the policy given (body, or query without a body), orphanDependents read as Orphan or Background, absent when neither is set', () => {
    expect(deleteOptionsOf({}, { propagationPolicy: 'Orphan' }).propagationPolicy).toBe('Orphan');
    expect(deleteOptionsOf({ propagationPolicy: 'Foreground' }, undefined).propagationPolicy).toBe('Foreground');
    expect(deleteOptionsOf({}, { orphanDependents: true }).propagationPolicy).toBe('Orphan');
    expect(deleteOptionsOf({}, { orphanDependents: false }).propagationPolicy).toBe('Background');
    expect(deleteOptionsOf({ orphanDependents: 'True' }, undefined).propagationPolicy).toBe('Orphan');
    expect(deleteOptionsOf({ orphanDependents: '0' }, undefined)).toMatchObject({ propagationPolicy: 'Background', orphanDependents: false });
    expect(deleteOptionsOf({}, { propagationPolicy: null }).propagationPolicy).toBeUndefined();
    expect(deleteOptionsOf({}, {}).propagationPolicy).toBeUndefined();
  });
  it('reads nothing from the query when there is a body, as kube-apiserver decodes one or the other', () => {
    expect(deleteOptionsOf({ propagationPolicy: 'Foreground', dryRun: 'All', gracePeriodSeconds: 'x' }, {})).toEqual({ dryRun: false });
    expect(deleteOptionsOf({ dryRun: 'All' }, undefined)).toEqual({ dryRun: true });
  });
});

describe('list options: which error comes first (kube-apiserver: decode 400, validate 422, field label conversion 400)', () => {
  const invalid = { resourceVersionMatch: 'Exact' }; // 422: forbidden unless resourceVersion is provided
  const codeOf = (q: Record<string, string>) => {
    try {
      listOptionsOf(q, info, 'ns');
      return 0;
    } catch (e) {
      return (e as { code: number }).code;
    }
  };

  it('a selector that does not parse is 400 before the list options are validated', () => {
    expect(codeOf({ ...invalid, labelSelector: 'a b' })).toBe(400);
    expect(codeOf({ ...invalid, fieldSelector: 'nonsense' })).toBe(400);
  });

  it('an unknown field in a well-formed selector is refused after the validation', () => {
    expect(codeOf({ ...invalid, fieldSelector: 'spec.x=1' })).toBe(422);
    expect(codeOf({ fieldSelector: 'spec.x=1' })).toBe(400);
  });
});

describe('create, update and patch options (kube ValidateCreateOptions / ValidateUpdateOptions / ValidatePatchOptions)', () => {
  const statusOf = (f: () => unknown) => {
    try {
      f();
      return undefined;
    } catch (e) {
      return (e as ApiError).toStatus();
    }
  };
  it('an unsupported fieldValidation is 422 Invalid of the options kind, the empty value listed as supported', () => {
    for (const verb of ['CreateOptions', 'UpdateOptions', 'PatchOptions'] as const) {
      expect(statusOf(() => managedWriteOptionsOf({ fieldValidation: 'Bogus' }, verb, 'kubectl/v1', 'merge'))).toMatchObject({
        code: 422,
        reason: 'Invalid',
        message: `${verb}.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"`,
        details: { group: 'meta.k8s.io', kind: verb, causes: [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"', field: 'fieldValidation' }] },
      });
    }
    expect(statusOf(() => managedWriteOptionsOf({ fieldValidation: '' }, 'CreateOptions', undefined))).toBeUndefined();
  });
  it('lists every cause in upstream order: force/fieldManager for the patch type, fieldManager, dryRun (the whole list), fieldValidation', () => {
    const q = { force: 'true', fieldManager: 'm'.repeat(129), dryRun: ['All', 'x'], fieldValidation: 'Loud' };
    expect(statusOf(() => managedWriteOptionsOf(q, 'PatchOptions', undefined, 'strategic'))?.details?.causes?.map((c) => c.field + ': ' + c.message)).toEqual([
      'force: Forbidden: may not be specified for non-apply patch',
      'fieldManager: Too long: may not be more than 128 bytes',
      'dryRun: Unsupported value: ["All","x"]: supported values: "All"',
      'fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn"',
    ]);
  });
  it('ignores force on create and update, whose options have no such field', () => {
    expect(managedWriteOptionsOf({ force: 'true' }, 'CreateOptions', undefined)).not.toHaveProperty('force');
    expect(statusOf(() => managedWriteOptionsOf({ force: 'true' }, 'UpdateOptions', undefined))).toBeUndefined();
  });
  it('DeleteOptions carry no fieldValidation: kube ignores one', () => {
    expect(statusOf(() => deleteOptionsOf({ fieldValidation: 'Bogus' }, undefined))).toBeUndefined();
  });
});
