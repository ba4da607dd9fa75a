import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * Property-based fuzzing of the "bad input" rule (architecture invariant 7): every writable kind
 * starts from a valid object, one or two fields (nested spec/status/metadata fields, list items,
 * map values, or a new unknown field) get a value of the wrong type, and the result is sent
 * through POST, PUT (with and without resourceVersion), DELETE with DeleteOptions, merge, JSON,
 * strategic-merge and apply patches, and the status subresource, with mangled query parameters now
 * and then; gets, lists, watches, odd names, raw non-objects and YAML-only scalars besides.
 * Properties: never a 5xx; every error body is a Status whose code is the HTTP status; after a 4xx
 * on a write (or any dry run), what the write would have changed is unchanged (same
 * resourceVersion, same items in the collection) or still absent.
 *
 * The seed is fixed so the file is deterministic; fast-check prints seed and path on a failure.
 * To explore further by hand: FUZZ_SEED (another seed), FUZZ_SCALE (multiplies the number of runs
 * and prints what answered what), FUZZ_LOG (a file every fuzzed write and its status is appended
 * to). Regressions it found are pinned by name at the end of the file.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/** A JSON number too big or too precise for JSON.stringify to write: spliced into the body raw. */
const raw = (token: string) => `~raw~${token}~`;
const encode = (body: unknown) =>
  JSON.stringify(body).replace(/"~raw~([-+.0-9eE]+)~"/g, (_m, token: string) => token);

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
/** Answers by kind, verb and status, printed with FUZZ_SCALE set (to see what a run exercised). */
const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
const IMAGES = '/apis/image.openshift.io/v1';
const TRIGGERS = '/apis/triggers.imagestreamd.io/v1';
const NS = 'fuzz';
const digest = (n: number | string) => `sha256:${String(n).padStart(64, '0')}`;
const SIGNED = digest('5');
const WHSEC = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

interface Answer {
  status: number;
  body: any;
}

/** One HTTP exchange; a successful GET's body is not read past what is needed (a watch streams). */
async function send(
  method: string,
  url: string,
  body?: string,
  contentType = 'application/json',
): Promise<Answer> {
  const controller = new AbortController();
  const res = await fetch(url, {
    method,
    signal: controller.signal,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body,
  });
  if (res.status < 400 && /[?&]watch=/.test(url)) {
    controller.abort();
    return { status: res.status, body: undefined };
  }
  const text = await res.text();
  try {
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch {
    return { status: res.status, body: text };
  }
}

/** The Status rule: no 5xx, and an error's body is a Status carrying the same code. */
function expectClean(what: string, res: Answer): void {
  // kube-apiserver's answer to a resourceVersion newer than any it has seen (after waiting for it):
  // 504 Timeout, cause ResourceVersionTooLarge. A 5xx by design (a replica may lag), not a fault.
  const tooNew = res.status === 504 && res.body?.details?.causes?.[0]?.reason === 'ResourceVersionTooLarge';
  if (res.status >= 500 && !tooNew)
    throw new Error(`${what} → ${res.status}: ${JSON.stringify(res.body)?.slice(0, 600)}`);
  if (
    res.status >= 400 &&
    (res.body?.kind !== 'Status' || res.body?.code !== res.status || res.body?.status !== 'Failure')
  )
    throw new Error(
      `${what} → ${res.status} without a matching Status: ${JSON.stringify(res.body)?.slice(0, 600)}`,
    );
}

interface FuzzKind {
  label: string;
  apiVersion: string;
  kind: string;
  /** Collection URL path (under the server's URL). */
  collection: string;
  /** A valid object for a new name. */
  valid(n: number): Record<string, Json>;
  /** Name of an existing object that updates and patches target; none for create-only kinds. */
  target?: string;
  /** The target as a valid body for PUT (defaults to valid()'s shape renamed). */
  targetBody?: () => Record<string, Json>;
  /** Has a status subresource fuzzed as well. */
  status?: Record<string, Json>;
  /** False when a deleted target cannot simply be POSTed again (virtual kinds' targets are set up by hand). */
  restorable?: boolean;
  /** What a write of valid(n) (or of the target) would change: each must be unchanged after a 4xx. */
  affected(n: number | undefined): string[];
}

const streamTags = () => [
  {
    name: 'latest',
    annotations: { owner: 'web' },
    from: { kind: 'ImageStreamTag', name: '3.1' },
    referencePolicy: { type: 'Source' },
    importPolicy: { scheduled: false, insecure: false },
    generation: 1,
  },
];

const container = () => ({
  name: 'web',
  image: 'quay.io/x/web:1',
  args: ['--port', '80'],
  ports: [{ containerPort: 80, protocol: 'TCP' }],
  env: [{ name: 'A', value: '1' }],
  resources: { limits: { cpu: '1' } },
});
const workloadAnnotations = () => ({
  'image.openshift.io/triggers': JSON.stringify([
    {
      from: { kind: 'ImageStreamTag', name: 'app:latest' },
      fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image',
    },
  ]),
});
const podTemplate = () => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [container()], restartPolicy: 'Always' },
});

const kinds: FuzzKind[] = [
  {
    label: 'Image',
    apiVersion: 'image.openshift.io/v1',
    kind: 'Image',
    collection: `${IMAGES}/images`,
    valid: (n) => ({
      metadata: { name: digest(`a${n}`), labels: { a: 'b' }, annotations: { c: 'd' } },
      dockerImageReference: `quay.io/x/app@${digest(`a${n}`)}`,
      dockerImageMetadata: {
        kind: 'DockerImage',
        apiVersion: '1.0',
        Created: '2026-01-01T00:00:00Z',
        Size: 10,
        Config: { Labels: { l: 'v' }, Env: ['A=1'] },
      },
      dockerImageMetadataVersion: '1.0',
      dockerImageLayers: [
        { name: digest('1'), size: 1, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' },
      ],
      dockerImageSignatures: ['c2ln'],
      dockerImageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    }),
    target: digest('a0'),
    affected: (n) => [`${IMAGES}/images/${digest(`a${n ?? 0}`)}`],
  },
  {
    label: 'ImageStream',
    apiVersion: 'image.openshift.io/v1',
    kind: 'ImageStream',
    collection: `${IMAGES}/namespaces/${NS}/imagestreams`,
    valid: (n) => ({
      metadata: { name: `is${n}`, labels: { team: 'web' }, annotations: { note: 'x' } },
      spec: { lookupPolicy: { local: false }, dockerImageRepository: '', tags: streamTags() },
    }),
    target: 'is0',
    status: {
      dockerImageRepository: '',
      tags: [
        {
          tag: 'x',
          items: [
            {
              created: '2026-01-01T00:00:00Z',
              dockerImageReference: `q/r@${digest('e')}`,
              image: digest('e'),
              generation: 1,
            },
          ],
        },
      ],
    },
    affected: (n) => [`${IMAGES}/namespaces/${NS}/imagestreams/is${n ?? 0}`],
  },
  {
    label: 'ImageStreamTag',
    restorable: false,
    apiVersion: 'image.openshift.io/v1',
    kind: 'ImageStreamTag',
    collection: `${IMAGES}/namespaces/${NS}/imagestreamtags`,
    valid: (n) => ({
      metadata: { name: `app:t${n}`, annotations: { a: 'b' } },
      tag: {
        name: `t${n}`,
        from: { kind: 'ImageStreamTag', name: 'app:latest' },
        referencePolicy: { type: 'Local' },
        importPolicy: {},
        reference: false,
      },
    }),
    target: 'app:t0',
    affected: () => [`${IMAGES}/namespaces/${NS}/imagestreams/app`],
  },
  {
    label: 'ImageTag',
    restorable: false,
    apiVersion: 'image.openshift.io/v1',
    kind: 'ImageTag',
    collection: `${IMAGES}/namespaces/${NS}/imagetags`,
    valid: (n) => ({
      metadata: { name: `app:i${n}` },
      spec: {
        name: `i${n}`,
        from: { kind: 'ImageStreamTag', name: 'app:latest' },
        referencePolicy: { type: 'Source' },
        annotations: { a: 'b' },
      },
    }),
    target: 'app:i0',
    affected: () => [`${IMAGES}/namespaces/${NS}/imagestreams/app`],
  },
  {
    label: 'ImageStreamMapping',
    apiVersion: 'image.openshift.io/v1',
    kind: 'ImageStreamMapping',
    collection: `${IMAGES}/namespaces/${NS}/imagestreammappings`,
    valid: (n) => ({
      metadata: { name: 'app' },
      tag: `m${n}`,
      image: {
        metadata: { name: digest(`b${n}`), annotations: { a: 'b' } },
        dockerImageReference: `quay.io/x/app@${digest(`b${n}`)}`,
        dockerImageMetadata: { kind: 'DockerImage', apiVersion: '1.0', Config: { Labels: { l: 'v' } } },
        dockerImageMetadataVersion: '1.0',
      },
    }),
    affected: (n) => [`${IMAGES}/namespaces/${NS}/imagestreams/app`, `${IMAGES}/images/${digest(`b${n}`)}`],
  },
  {
    label: 'ImageStreamImport',
    apiVersion: 'image.openshift.io/v1',
    kind: 'ImageStreamImport',
    collection: `${IMAGES}/namespaces/${NS}/imagestreamimports`,
    valid: (n) => ({
      metadata: { name: `imp${n}` },
      spec: {
        import: false,
        images: [
          {
            from: { kind: 'DockerImage', name: '127.0.0.1:1/a/b:1' },
            to: { name: 't' },
            importPolicy: { insecure: true, scheduled: false },
            referencePolicy: { type: 'Local' },
            includeManifest: false,
          },
        ],
        repository: {
          from: { kind: 'DockerImage', name: '127.0.0.1:1/a/c' },
          importPolicy: { insecure: true },
        },
      },
    }),
    affected: (n) => [`${IMAGES}/namespaces/${NS}/imagestreams/imp${n}`],
  },
  {
    label: 'ImageSignature',
    apiVersion: 'image.openshift.io/v1',
    kind: 'ImageSignature',
    collection: `${IMAGES}/imagesignatures`,
    valid: (n) => ({
      metadata: { name: `${SIGNED}@sig${n}` },
      type: 'AtomicImageV1',
      content: Buffer.from(`blob-${n}`).toString('base64'),
      conditions: [{ type: 'Trusted', status: 'True' }],
      signedClaims: { a: 'b' },
    }),
    affected: () => [`${IMAGES}/images/${SIGNED}`],
  },
  {
    label: 'Trigger',
    apiVersion: 'triggers.imagestreamd.io/v1',
    kind: 'Trigger',
    collection: `${TRIGGERS}/namespaces/${NS}/triggers`,
    valid: (n) => ({
      metadata: { name: `trg${n}`, labels: { a: 'b' } },
      spec: {
        from: { kind: 'ImageStreamTag', name: 'app:latest' },
        target: {
          kind: 'Deployment',
          name: 'web',
          fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image',
        },
        delivery: {
          url: 'https://ci.example.com/hook',
          secretRef: { name: 'hook-key' },
          headers: { 'X-Team': 'web' },
          contentMode: 'structured',
        },
        paused: false,
      },
    }),
    target: 'trg0',
    status: {
      observedGeneration: 1,
      lastTriggeredImageID: digest('c'),
      conditions: [
        {
          type: 'Triggered',
          status: 'True',
          reason: 'ImageChanged',
          message: 'm',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
    affected: (n) => [`${TRIGGERS}/namespaces/${NS}/triggers/trg${n ?? 0}`],
  },
  {
    label: 'TriggerSecret',
    apiVersion: 'triggers.imagestreamd.io/v1',
    kind: 'TriggerSecret',
    collection: `${TRIGGERS}/namespaces/${NS}/triggersecrets`,
    valid: (n) => ({ metadata: { name: `sec${n}` }, data: { key: WHSEC, 'header.X-Team': 'web' } }),
    target: 'sec0',
    affected: (n) => [`${TRIGGERS}/namespaces/${NS}/triggersecrets/sec${n ?? 0}`],
  },
  {
    label: 'DeliveryRedrive',
    apiVersion: 'triggers.imagestreamd.io/v1',
    kind: 'DeliveryRedrive',
    collection: `${TRIGGERS}/namespaces/${NS}/deliveryredrives`,
    valid: () => ({ spec: { trigger: 'trg0' } }),
    affected: () => [],
  },
  {
    label: 'PushPreview',
    apiVersion: 'triggers.imagestreamd.io/v1',
    kind: 'PushPreview',
    collection: `${TRIGGERS}/namespaces/${NS}/pushpreviews`,
    valid: () => ({
      metadata: { name: 'app:latest' },
      spec: { image: digest('d'), dockerImageReference: `quay.io/x/app@${digest('d')}` },
    }),
    affected: () => [],
  },
  {
    label: 'Deployment',
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    collection: `/apis/apps/v1/namespaces/${NS}/deployments`,
    valid: (n) => ({
      metadata: { name: `dep${n}`, labels: { app: 'web' }, annotations: workloadAnnotations() },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: podTemplate() },
    }),
    target: 'dep0',
    affected: (n) => [`/apis/apps/v1/namespaces/${NS}/deployments/dep${n ?? 0}`],
  },
  {
    label: 'CronJob',
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    collection: `/apis/batch/v1/namespaces/${NS}/cronjobs`,
    valid: (n) => ({
      metadata: { name: `cj${n}`, annotations: workloadAnnotations() },
      spec: {
        schedule: '*/5 * * * *',
        jobTemplate: {
          spec: { template: { spec: { containers: [container()], restartPolicy: 'OnFailure' } } },
        },
      },
    }),
    target: 'cj0',
    affected: (n) => [`/apis/batch/v1/namespaces/${NS}/cronjobs/cj${n ?? 0}`],
  },
  {
    label: 'Namespace',
    restorable: false,
    apiVersion: 'v1',
    kind: 'Namespace',
    collection: '/api/v1/namespaces',
    valid: (n) => ({ metadata: { name: `fuzz-ns${n}`, labels: { a: 'b' } } }),
    target: 'fuzz-ns0',
    affected: (n) => [`/api/v1/namespaces/fuzz-ns${n ?? 0}`],
  },
  {
    // Limits of types nothing here enforces, so the other kinds' fuzzing is not refused by them.
    label: 'LimitRange',
    apiVersion: 'v1',
    kind: 'LimitRange',
    collection: `/api/v1/namespaces/${NS}/limitranges`,
    valid: (n) => ({
      metadata: { name: `lr${n}`, labels: { a: 'b' } },
      spec: { limits: [{ type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '100m' } }] },
    }),
    target: 'lr0',
    affected: (n) => [`/api/v1/namespaces/${NS}/limitranges/lr${n ?? 0}`],
  },
  {
    label: 'ResourceQuota',
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    collection: `/api/v1/namespaces/${NS}/resourcequotas`,
    valid: (n) => ({ metadata: { name: `rq${n}`, labels: { a: 'b' } }, spec: { hard: { pods: '10', 'requests.cpu': '2' } } }),
    target: 'rq0',
    status: { hard: { pods: '10', 'requests.cpu': '2' }, used: { pods: '1', 'requests.cpu': '500m' } },
    affected: (n) => [`/api/v1/namespaces/${NS}/resourcequotas/rq${n ?? 0}`],
  },
];

// ---- values and paths ------------------------------------------------------------------------

const oddStrings = [
  '',
  ' ',
  '-1',
  'x'.repeat(300),
  'y'.repeat(70_000),
  '\u202e\u0301\ufeff',
  '😀',
  '\ud800',
  'a\u0000b',
  '\\',
  '"',
  '../..',
  '%00',
  '$patch',
  'null',
  'sha256:',
  ':',
  '@',
  'a:b:c',
  'not-a-date',
  '0000-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  `sha256:${'g'.repeat(64)}`,
  `sha512:${'a'.repeat(128)}`,
  'a'.repeat(254),
  '-A_',
  'Always',
  'TCP',
  '1Gi',
  '1e400',
];
const badValue: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<Json>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      -0.5,
      1e308,
      -1e308,
      2 ** 53 + 2,
      2 ** 31,
      -(2 ** 63),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      ...['123456789012345678901234567890', '1e400', '-1e400', '1E-400', '-0'].map(raw),
    ),
  },
  { weight: 3, arbitrary: fc.constantFrom<Json>(...oddStrings) },
  { weight: 1, arbitrary: fc.fullUnicodeString({ maxLength: 12 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<Json>(
      [],
      {},
      [[]],
      [[[1]]],
      [null],
      [{}],
      ['a'],
      [1, 'a', null],
      { a: { b: {} } },
      { '': 1 },
      { $patch: 'delete' },
    ),
  },
);
const unknownKey = fc.constantFrom(
  'unknownField',
  'x-y',
  '',
  '$patch',
  '$retainKeys',
  '__proto__',
  'constructor',
  'toString',
  'kind',
  'metadata',
  '$setElementOrder/tags',
  '$setElementOrder/containers',
  '$deleteFromPrimitiveList/args',
  '$deleteFromPrimitiveList/finalizers',
);

/** Every path into `value` (the root too): objects' fields, list items, map values. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}
const containersOf = (value: unknown) =>
  pathsOf(value).filter((p) => {
    const v = getAt(value, p);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  });
function getAt(value: unknown, path: Path): unknown {
  return path.reduce<any>((v, k) => (v == null ? undefined : v[k]), value);
}
function setAt(root: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  const [key, ...rest] = path as [string | number, ...Path];
  const base: any =
    root !== null && typeof root === 'object' ? structuredClone(root) : typeof key === 'number' ? [] : {};
  // defineProperty: `__proto__` becomes an own field, as JSON.parse makes it on the server.
  Object.defineProperty(base, key, {
    value: setAt(base[key] ?? null, rest, value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return base;
}
/** The smallest merge patch that sets `path`: lists are replaced whole, so a list on the way is copied. */
function sparsePatch(full: Json, path: Path, value: Json): Json {
  const listAt = path.findIndex((k) => typeof k === 'number');
  const head = listAt < 1 ? path : path.slice(0, listAt);
  const leaf = listAt < 1 ? value : setAt((getAt(full, head) ?? null) as Json, path.slice(listAt), value);
  return setAt({}, head, leaf);
}
const deleteOptions = (meta: { uid?: string; resourceVersion?: string }): Json => ({
  apiVersion: 'v1',
  kind: 'DeleteOptions',
  gracePeriodSeconds: 0,
  propagationPolicy: 'Background',
  orphanDependents: false,
  dryRun: ['All'],
  preconditions: { uid: meta.uid ?? '', resourceVersion: meta.resourceVersion ?? '' },
});
const pointer = (path: Path) =>
  path.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

interface Mutation {
  kind: 'replace' | 'add';
  path: Path;
  key?: string;
  value: Json;
}
const mutationOf = (template: Json): fc.Arbitrary<Mutation> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant<'replace'>('replace'),
        path: fc.constantFrom(...pathsOf(template)),
        value: badValue,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant<'add'>('add'),
        path: fc.constantFrom(...containersOf(template)),
        key: unknownKey,
        value: fc.oneof(badValue, fc.constant<Json>('v')),
      }),
    },
  );
/** One bad field, or two at once (a second error must not hide behind the first one's handling). */
const mutationsOf = (template: Json): fc.Arbitrary<Mutation[]> =>
  fc.array(mutationOf(template), { minLength: 1, maxLength: 2 });
const mutatedPath = (m: Mutation): Path => (m.kind === 'add' ? [...m.path, m.key as string] : m.path);
const applyMutation = (template: Json, ms: Mutation[]): Json =>
  ms.reduce((t, m) => setAt(t, mutatedPath(m), m.value), template);

const queryValue = fc.oneof(
  fc.constantFrom(
    '',
    '-1',
    '0',
    '1.5',
    '1e308',
    '99999999999999999999',
    'abc',
    'true',
    'false',
    'All',
    'Strict',
    'Warn',
    'Ignore',
    '%00',
    '%FF',
    '=',
    '!',
    'a=b,',
    'a in (b',
    'metadata.name',
    'metadata.name=x',
    'a!=',
    ',,',
    '%E2%80%AE',
    'x'.repeat(3000),
    'null',
    '[]',
    'NotOlderThan',
    'Exact',
  ),
  fc.fullUnicodeString({ maxLength: 8 }).map(encodeURIComponent),
);
const queryKey = fc.constantFrom(
  'limit',
  'continue',
  'resourceVersion',
  'resourceVersionMatch',
  'labelSelector',
  'fieldSelector',
  'dryRun',
  'fieldValidation',
  'fieldManager',
  'timeoutSeconds',
  'watch',
  'allowWatchBookmarks',
  'sendInitialEvents',
  'force',
  'pretty',
  'gracePeriodSeconds',
  'propagationPolicy',
);
const query = fc
  .array(fc.tuple(queryKey, queryValue), { maxLength: 3 })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));

type Verb =
  | 'POST'
  | 'DELETE'
  | 'PUT'
  | 'PUT-noRV'
  | 'merge'
  | 'json'
  | 'smp'
  | 'apply'
  | 'status-PUT'
  | 'status-merge'
  | 'status-json'
  | 'status-apply';
const jsonOp = fc.constantFrom<Json>(
  'add',
  'remove',
  'replace',
  'move',
  'copy',
  'test',
  'bogus',
  '',
  5,
  null,
);
const badPointer = fc.constantFrom(
  '',
  '/',
  'metadata',
  '/~',
  '/~2',
  '/metadata/labels/a~1b',
  '/spec/tags/-',
  '/spec/tags/99',
  '/spec/tags/-1',
  '/spec/tags/01',
  '/metadata/name/x',
  '//',
  '/status',
);

// ---- the properties --------------------------------------------------------------------------

describe('fuzzed bad input: never a 5xx, always a Status, nothing changed', () => {
  let api: TestApi;
  let serial = 1000;
  const at = (path: string) => `${api.url}${path}`;
  const state = async (urls: string[]) =>
    Promise.all(
      urls.map(async (u) => {
        const r = await send('GET', at(u));
        // A list by its items: its own resourceVersion is the newest allocated, which a dry run may move.
        const items = r.body?.items as { metadata: { name: string; resourceVersion: string } }[] | undefined;
        const version = items
          ? items.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`).join(',')
          : (r.body?.metadata?.resourceVersion ?? '');
        return `${u} ${r.status} ${version}`;
      }),
    );

  beforeAll(async () => {
    api = await startTestApi();
    const setup: [string, unknown][] = [
      [`/api/v1/namespaces`, { metadata: { name: NS } }],
      [
        `${IMAGES}/namespaces/${NS}/imagestreams`,
        {
          metadata: { name: 'app' },
          spec: { tags: [{ name: 'i0', from: { kind: 'ImageStreamTag', name: 'app:latest' } }] },
        },
      ],
      [`${IMAGES}/images`, { metadata: { name: SIGNED }, dockerImageReference: `quay.io/x/app@${SIGNED}` }],
      // app:t0 has an image (an istag GET shows only such tags) and no spec tag.
      [
        `${IMAGES}/namespaces/${NS}/imagestreammappings`,
        {
          metadata: { name: 'app' },
          tag: 't0',
          image: { metadata: { name: digest('e') }, dockerImageReference: `quay.io/x/app@${digest('e')}` },
        },
      ],
      [
        `${TRIGGERS}/namespaces/${NS}/triggersecrets`,
        { metadata: { name: 'hook-key' }, data: { key: WHSEC } },
      ],
    ];
    for (const k of kinds)
      if (k.target && k.label !== 'ImageStreamTag' && k.label !== 'ImageTag')
        setup.push([k.collection, k.valid(0)]);
    for (const [url, body] of setup) {
      const res = await send('POST', at(url), JSON.stringify(body));
      if (res.status !== 201) throw new Error(`setup ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  });
  afterAll(async () => {
    if (process.env.FUZZ_SCALE)
      console.log(
        [...tally]
          .sort()
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n'),
      );
    await api?.close();
  });

  /** Sends `verb` of a mutation of `kind`'s valid object; checks the Status rule and, after a 4xx, that nothing changed. */
  async function fuzzWrite(
    kind: FuzzKind,
    verb: Verb,
    ms: Mutation[],
    q: string,
    patchOps: Json[] | undefined,
    deleteMs?: Mutation[],
  ): Promise<void> {
    const n = verb === 'POST' ? serial++ : undefined;
    const url =
      verb === 'POST'
        ? at(kind.collection)
        : at(`${kind.collection}/${kind.target}${verb.startsWith('status') ? '/status' : ''}`);
    // The whole collection too (by its items): a 4xx must not have written under another name either.
    const affected = kind.target ? [kind.collection, ...kind.affected(n)] : kind.affected(n);
    const before = await state(affected);
    let res: Answer;
    let what: string;
    const withQuery = (u: string, extra = '') =>
      [u, [extra, q].filter(Boolean).join('&')].filter(Boolean).join('?');
    const m = ms[0] as Mutation;
    if (verb === 'POST') {
      const body = encode(applyMutation(kind.valid(n as number), ms));
      what = `POST ${withQuery(kind.collection)} ${body.slice(0, 300)}`;
      res = await send('POST', withQuery(url), body);
    } else {
      const current = (await send('GET', url)).body;
      const template = structuredClone(current) as Record<string, Json>;
      delete (template.metadata as any)?.managedFields;
      if (verb === 'PUT-noRV') delete (template.metadata as any)?.resourceVersion;
      if (verb.startsWith('status') && kind.status) template.status = structuredClone(kind.status);
      const mutated = applyMutation(template, ms);
      if (verb === 'PUT' || verb === 'PUT-noRV' || verb === 'status-PUT') {
        const body = encode(mutated);
        what = `PUT ${withQuery(url.slice(api.url.length))} ${body.slice(0, 400)}`;
        res = await send('PUT', withQuery(url), body);
      } else if (verb === 'merge' || verb === 'smp' || verb === 'status-merge') {
        const patch = encode(
          ms.length === 1 && m.kind === 'replace' && m.path.length > 2
            ? sparsePatch(template, mutatedPath(m), m.value)
            : mutated,
        );
        const type =
          verb === 'smp' ? 'application/strategic-merge-patch+json' : 'application/merge-patch+json';
        what = `PATCH(${type}) ${withQuery(url.slice(api.url.length))} ${patch.slice(0, 400)}`;
        res = await send('PATCH', withQuery(url), patch, type);
      } else if (verb === 'DELETE') {
        // DeleteOptions with wrong types; a 2xx deletes the target, which is made again below.
        const mutated = applyMutation(deleteOptions(current?.metadata ?? {}), deleteMs ?? []);
        // With a body the query's DeleteOptions are not read (kube-apiserver), so a kind that
        // cannot be made again keeps its dry run in the body.
        const options =
          kind.restorable === false && mutated !== null && typeof mutated === 'object' && !Array.isArray(mutated)
            ? { ...mutated, dryRun: ['All'] }
            : mutated;
        const body = encode(options);
        what = `DELETE ${withQuery(url.slice(api.url.length))} ${body.slice(0, 400)}`;
        res = await send('DELETE', withQuery(url), body);
      } else if (verb === 'apply' || verb === 'status-apply') {
        const config = {
          apiVersion: kind.apiVersion,
          kind: kind.kind,
          ...kind.valid(0),
          ...(verb === 'status-apply' ? { status: kind.status ?? {} } : {}),
        };
        const body = encode(applyMutation(config, ms));
        // force: a conflict with the creator's fields would otherwise answer 409 before validation runs.
        const applyQuery = 'fieldManager=fuzz&force=true';
        what = `APPLY ${withQuery(url.slice(api.url.length), applyQuery)} ${body.slice(0, 400)}`;
        res = await send('PATCH', withQuery(url, applyQuery), body, 'application/apply-patch+yaml');
      } else {
        const ops = patchOps ?? [{ op: 'replace', path: pointer(mutatedPath(m)), value: m.value }];
        const body = encode(ops);
        what = `PATCH(json) ${withQuery(url.slice(api.url.length))} ${body.slice(0, 400)}`;
        res = await send('PATCH', withQuery(url), body, 'application/json-patch+json');
      }
    }
    count(`${kind.label} ${verb} ${res.status}`);
    if (process.env.FUZZ_LOG) appendFileSync(process.env.FUZZ_LOG, `${res.status} ${what}\n`);
    expectClean(what, res);
    // A DELETE's query dryRun is not read beside its body; its body keeps one only for kinds that cannot be made again.
    const dryRun = verb === 'DELETE' ? kind.restorable === false : /(^|&)dryRun=All(&|$)/.test(q);
    if (res.status >= 400 || dryRun) {
      const after = await state(affected);
      if (after.join('\n') !== before.join('\n'))
        throw new Error(`${what} → ${res.status} yet changed:\n${before.join('\n')}\n→\n${after.join('\n')}`);
    }
    if (verb === 'DELETE' && res.status < 300 && !dryRun) await restoreTarget(kind);
  }

  /** Makes the target anew after a fuzzed DELETE took it (finalizers aside, it is gone at once). */
  async function restoreTarget(kind: FuzzKind): Promise<void> {
    const url = at(`${kind.collection}/${kind.target}`);
    if ((await send('GET', url)).status !== 404) return;
    const res = await send('POST', at(kind.collection), JSON.stringify(kind.valid(0)));
    if (res.status !== 201)
      throw new Error(`recreating ${kind.target}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  const jsonPatch = (template: Json): fc.Arbitrary<Json[] | undefined> =>
    fc.option(
      fc.array(
        fc.record(
          {
            op: jsonOp,
            path: fc.oneof(fc.constantFrom(...pathsOf(template).map(pointer)), badPointer),
            from: fc.oneof(fc.constantFrom(...pathsOf(template).map(pointer)), badPointer),
            value: badValue,
          },
          { requiredKeys: ['op'] },
        ),
        { minLength: 1, maxLength: 3 },
      ),
      { freq: 2 },
    );

  for (const kind of kinds) {
    it(`${kind.label}: mutated writes`, async () => {
      const template = kind.valid(0);
      const withMeta = {
        ...template,
        metadata: { ...(template.metadata as object), resourceVersion: '1', uid: 'u' },
        ...(kind.status ? { status: kind.status } : {}),
      };
      const verbs: Verb[] = kind.target
        ? ['POST', 'PUT', 'PUT-noRV', 'merge', 'json', 'smp', 'apply']
        : ['POST'];
      if (kind.target) verbs.push('DELETE');
      if (kind.status) verbs.push('status-PUT', 'status-merge', 'status-json', 'status-apply');
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...verbs),
          mutationsOf(withMeta),
          fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: query }),
          jsonPatch(withMeta),
          mutationsOf(deleteOptions({ uid: 'u', resourceVersion: '1' })),
          async (verb, m, q, ops, deleteMs) => {
            // A mutation of a field the template lacks (status on a POST) still applies: setAt makes it.
            await fuzzWrite(kind, verb, m, q, verb.endsWith('json') ? ops : undefined, deleteMs);
          },
        ),
        { seed: SEED, numRuns: runs(kind.target ? 45 : 25) },
      );
    });
  }

  it('mangled query parameters on get and list', async () => {
    const urls = kinds.filter((k) => k.target).flatMap((k) => [k.collection, `${k.collection}/${k.target}`]);
    urls.push(
      `${IMAGES}/imagestreams`,
      `${TRIGGERS}/namespaces/${NS}/deliveries`,
      `${TRIGGERS}/namespaces/${NS}/tagchangeevents`,
      `${IMAGES}/namespaces/${NS}/imagestreamimages/app@${digest('e')}`,
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...urls), query, async (u, q) => {
        const res = await send('GET', `${at(u)}?${q}`);
        expectClean(`GET ${u}?${q}`, res);
      }),
      { seed: SEED, numRuns: runs(150) },
    );
  });

  it('odd names on item paths, and collection deletes with mangled selectors (dry run)', async () => {
    const oddName = fc.oneof(
      fc.constantFrom(
        '%2F',
        '..',
        '.',
        '%00',
        '%FF',
        'a%3Ab%3Ac',
        'a@b@c',
        ':',
        '@',
        'sha256:',
        `x${'y'.repeat(300)}`,
        '%E2%80%AE',
        'UPPER',
        'a:',
        ':b',
        'app@sha256:',
        'app%40',
      ),
      fc.fullUnicodeString({ minLength: 1, maxLength: 6 }).map(encodeURIComponent),
    );
    const collections = kinds.filter((k) => k.target).map((k) => k.collection);
    collections.push(
      `${IMAGES}/namespaces/${NS}/imagestreamimages`,
      `${TRIGGERS}/namespaces/${NS}/deliveries`,
      `${IMAGES}/imagesignatures`,
    );
    const method = fc.constantFrom('GET', 'DELETE', 'PUT', 'PATCH');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...collections),
        oddName,
        method,
        query,
        async (collection, name, verb, q) => {
          const url = `${collection}/${name}?${verb === 'GET' ? q : 'dryRun=All'}`;
          const res = await send(
            verb,
            at(url),
            verb === 'GET' || verb === 'DELETE' ? undefined : '{}',
            verb === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
          );
          expectClean(`${verb} ${url}`, res);
        },
      ),
      { seed: SEED, numRuns: runs(80) },
    );
    // Every selector and option mangled, but always a dry run: the collection must be as it was.
    const selectorQuery = fc
      .array(
        fc.tuple(
          fc.constantFrom(
            'labelSelector',
            'fieldSelector',
            'limit',
            'continue',
            'resourceVersion',
            'gracePeriodSeconds',
            'propagationPolicy',
            'timeoutSeconds',
          ),
          queryValue,
        ),
        { maxLength: 3 },
      )
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}&`).join(''));
    const deletable = kinds.filter((k) => k.target && k.label !== 'Namespace');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...deletable), selectorQuery, async (kind, q) => {
        const before = await state([kind.collection, ...kind.affected(undefined)]);
        const res = await send('DELETE', at(`${kind.collection}?${q}dryRun=All`));
        expectClean(`DELETE ${kind.collection}?${q}dryRun=All`, res);
        const after = await state([kind.collection, ...kind.affected(undefined)]);
        if (after.join() !== before.join())
          throw new Error(
            `DELETE ${kind.collection}?${q}dryRun=All changed:\n${before.join('\n')}\n→\n${after.join('\n')}`,
          );
      }),
      { seed: SEED, numRuns: runs(40) },
    );
  });

  it('YAML scalars JSON has no form for (dates, binary, .inf, sets) in YAML creates and applies', async () => {
    const yamlTokens = fc.constantFrom(
      '2026-01-01',
      '2026-01-01T00:00:00Z',
      '!!binary aGVsbG8=',
      '.inf',
      '-.inf',
      '.nan',
      '0x1F',
      '0o17',
      '~',
      '!!set {a, b}',
      '!!omap [a: 1]',
      '!!pairs [a: 1, a: 2]',
      '!!timestamp 2001-12-14',
      '!!float 1',
      '!!str',
      '!!int "5"',
      '!!null ""',
      '!unknown x',
      '&anchor [1]',
      '*nowhere',
      '[&x [1, 2], *x]',
      '{? [a, b] : c}',
    );
    const writable = kinds.filter((k) => k.target);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...writable),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        yamlTokens,
        async (kind, apply, pick, token) => {
          const n = serial++;
          const template: Json = {
            apiVersion: kind.apiVersion,
            kind: kind.kind,
            ...(apply ? kind.valid(0) : kind.valid(n)),
          };
          const paths = pathsOf(template).filter((p) => p.length > 0);
          const path = paths[pick % paths.length] as Path;
          const body = JSON.stringify(setAt(template, path, '~yaml~')).replace('"~yaml~"', token);
          const url = apply
            ? `${kind.collection}/${kind.target}?fieldManager=fuzz&force=true`
            : kind.collection;
          const affected = [kind.collection, ...kind.affected(apply ? undefined : n)];
          const before = await state(affected);
          const res = await send(
            apply ? 'PATCH' : 'POST',
            at(url),
            body,
            apply ? 'application/apply-patch+yaml' : 'application/yaml',
          );
          const what = `${apply ? 'APPLY' : 'POST'} ${url} (yaml) ${body.slice(0, 400)}`;
          expectClean(what, res);
          if (res.status >= 400 && (await state(affected)).join() !== before.join())
            throw new Error(`${what} → ${res.status} yet changed`);
        },
      ),
      { seed: SEED, numRuns: runs(60) },
    );
  });

  it('raw bodies that are not the object at all', async () => {
    const bodies = fc.constantFrom(
      '',
      'null',
      '[]',
      '"x"',
      '5',
      '{',
      '{"metadata":',
      '[{"op":"add"}]',
      '{}',
      '- a',
      ': :',
      'a: &x [*x, *x]',
      '!!binary x',
      '\ufeff{}',
      '{"a":1,"a":2}',
      '{"metadata":{"name":"x","name":"y"}}',
    );
    const types = fc.constantFrom(
      'application/json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
      'application/json-patch+json',
      'application/apply-patch+yaml',
      'application/yaml',
      'text/plain',
      'application/vnd.kubernetes.protobuf',
      'application/json; charset=latin1',
    );
    const writable = kinds.filter((k) => k.target);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...writable),
        fc.constantFrom('POST', 'PUT', 'PATCH'),
        bodies,
        types,
        async (kind, method, body, type) => {
          const url =
            method === 'POST' ? kind.collection : `${kind.collection}/${kind.target}?fieldManager=fuzz`;
          const before = await state(kind.affected(undefined));
          const res = await send(method, at(url), body, type);
          const what = `${method} ${url} (${type}) ${body}`;
          expectClean(what, res);
          if (res.status >= 400 && (await state(kind.affected(undefined))).join() !== before.join())
            throw new Error(`${what} → ${res.status} yet changed`);
        },
      ),
      { seed: SEED, numRuns: runs(120) },
    );
  });

  describe('regressions found by this fuzzer', () => {
    it('a create body that is not an object is 400 (a null DeliveryRedrive redrove the whole namespace, then answered 500)', async () => {
      for (const body of ['null', '[]', '"x"', '5', 'true']) {
        const res = await send('POST', at(`${TRIGGERS}/namespaces/${NS}/deliveryredrives`), body);
        expectClean(`POST deliveryredrives ${body}`, res);
        // null is refused with our own wording; the rest as kube-apiserver's decoder words them.
        const wording = body === 'null' ? /^the request body must be an object, not null$/ : /^the object provided is unrecognized \(must be of type DeliveryRedrive\): /;
        expect([res.status, res.body.message]).toEqual([400, expect.stringMatching(wording)]);
        const put = await send('PUT', at(`${IMAGES}/namespaces/${NS}/imagestreams/is0`), body);
        expect(put.status).toBe(400);
      }
    });

    it('server-side apply of an empty metadata, then of one with the name, keeps the object (500: metadata removed as a whole)', async () => {
      const applyTo = (kind: FuzzKind, metadata: Json) =>
        send(
          'PATCH',
          at(`${kind.collection}/${kind.target}?fieldManager=fuzz-meta&force=true`),
          encode({
            apiVersion: kind.apiVersion,
            kind: kind.kind,
            metadata,
            ...(({ metadata: _m, ...rest }) => rest)(kind.valid(0)),
          }),
          'application/apply-patch+yaml',
        );
      for (const kind of kinds.filter((k) => k.label === 'TriggerSecret' || k.label === 'ImageStream')) {
        // `$patch` is no field of ObjectMeta: the configuration is refused (400), as kube types it first.
        for (const [metadata, status] of [
          [{}, 200],
          [{ $patch: 'delete' }, 400],
        ] as [Json, number][]) {
          expect((await applyTo(kind, metadata)).status).toBe(status);
          const again = await applyTo(kind, { name: kind.target as string });
          expectClean(`apply ${kind.label} after metadata ${JSON.stringify(metadata)}`, again);
          expect([again.status, again.body.metadata.name]).toEqual([200, kind.target]);
        }
      }
    });
  });
});
