import { type Fail, isRecord, type JsonRecord, parseJson, readRecord } from './json-shape';
import { ManifestInvalidError } from './manifest-errors';
import type { ParsedDockerConfig, ParsedDockerImageMetadata } from './parsed-image.types';

const fail: Fail = (message) => new ManifestInvalidError(message);

/** The DockerImage fields a config blob (docker or OCI image config) contributes. */
export type ImageConfigMetadata = Pick<
  ParsedDockerImageMetadata,
  | 'Created'
  | 'Parent'
  | 'Author'
  | 'Comment'
  | 'Container'
  | 'ContainerConfig'
  | 'DockerVersion'
  | 'Config'
  | 'Architecture'
  | 'Os'
  | 'Variant'
>;

/**
 * Maps an image config JSON to DockerImage fields as openshift decodes it into docker10's
 * DockerImageConfig with Go's encoding/json: keys match case-insensitively (the last match
 * wins), unknown keys are dropped, `null` leaves a field unset, and a value of the wrong type or
 * a `created` that is not RFC 3339 fails the whole decode (ManifestInvalidError).
 */
export function readImageConfig(rawConfig: Buffer | string): ImageConfigMetadata {
  const parsed = parseJson(markNonInt64Numbers(typeof rawConfig === 'string' ? rawConfig : rawConfig.toString('utf8')), 'image config', fail);
  // Go decodes a JSON null into a struct as a no-op: nothing is known.
  if (parsed === null) return { ContainerConfig: {} };
  const doc = readRecord(parsed, 'image config', fail);
  checkDecodedOnly(doc);
  const str = (key: string) => goString(goField(doc, key), key);
  const out: ImageConfigMetadata = {
    Created: readCreated(goField(doc, 'created')),
    Parent: str('parent'),
    Author: str('author'),
    Comment: str('comment'),
    Container: str('container'),
    ContainerConfig: readDockerConfig(goField(doc, 'container_config'), 'container_config') ?? {},
    DockerVersion: str('docker_version'),
    Config: readDockerConfig(goField(doc, 'config'), 'config'),
    Architecture: str('architecture'),
    Os: str('os'),
    // Not a docker10 field: Go ignores it whatever its type; read for platforms only.
    Variant: typeof goField(doc, 'variant') === 'string' ? (goField(doc, 'variant') as string) : undefined,
  };
  // Go's omitempty: empty strings are not written.
  for (const key of Object.keys(out) as (keyof ImageConfigMetadata)[]) {
    if (out[key] === undefined || out[key] === '') delete out[key];
  }
  return out;
}

const GO_INT64_LITERAL = /^-?(0|[1-9]\d*)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Go decodes a JSON number into an int64 field only when its literal is an integer in range
 * (strconv.ParseInt): `1e3`, `1.0` or `9223372036854775808` fail the decode, although JSON.parse
 * reads the first two as integers. Such literals become JSON strings here, so a typed int64 field
 * holding one fails as Go's decoder does; every other docker10 field refuses a number anyway, and
 * unknown keys are dropped whatever they hold.
 */
function markNonInt64Numbers(text: string): string {
  let out = '';
  let last = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9eE.+-]/.test(text.charAt(j))) j++;
      const token = text.slice(i, j);
      const isInt64 = GO_INT64_LITERAL.test(token) && BigInt(token) >= INT64_MIN && BigInt(token) <= INT64_MAX;
      if (!isInt64 && /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(token)) {
        out += text.slice(last, i) + JSON.stringify(`number ${token}`);
        last = j;
      }
      i = j;
      continue;
    }
    i++;
  }
  return last === 0 ? text : out + text.slice(last);
}

/**
 * DockerImageConfig fields that give nothing to the Image but are typed, so a wrong value there
 * fails Go's decode all the same (and with it the whole metadata).
 */
function checkDecodedOnly(doc: JsonRecord): void {
  goString(goField(doc, 'id'), 'id');
  goInt64(goField(doc, 'size'), 'size');
  goString(goField(doc, 'os.version'), 'os.version');
  goStringList(goField(doc, 'os.features'), 'os.features');
  const rootfs = goField(doc, 'rootfs');
  if (rootfs !== undefined && rootfs !== null) {
    if (!isRecord(rootfs)) throw fail('rootfs must be an object');
    goString(goField(rootfs, 'type'), 'rootfs.type');
    goStringList(goField(rootfs, 'diff_ids'), 'rootfs.diff_ids');
  }
  const history = goField(doc, 'history');
  if (history === undefined || history === null) return;
  if (!Array.isArray(history)) throw fail('history must be an array');
  history.forEach((entry: unknown, i) => {
    if (entry === null) return;
    if (!isRecord(entry)) throw fail(`history[${i}] must be an object`);
    readCreated(goField(entry, 'created'), `history[${i}].created`);
    for (const key of ['author', 'created_by', 'comment']) goString(goField(entry, key), `history[${i}].${key}`);
    goBool(goField(entry, 'empty_layer'), `history[${i}].empty_layer`);
  });
}

/** `time.Time`'s JSON form: RFC 3339 with an upper-case T and Z (Go's time.RFC3339 layout). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * metav1.Time serialises as RFC 3339 in UTC with whole seconds; Go's zero time (year 1, as
 * go-containerregistry writes for images without a date) serialises as null: undefined here.
 */
function readCreated(value: unknown, path = 'created'): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw fail(`${path} must be a string`);
  const m = RFC3339.exec(value);
  if (!m) throw fail(`${path} ${JSON.stringify(value)} is not an RFC 3339 time`);
  const [, y, mo, d, h, mi, s, frac = '', , sign, oh = '0', om = '0'] = m;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, takes years 0-99 as they are.
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  if (date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(oh) > 23 || Number(om) > 59) {
    throw fail(`${path} ${JSON.stringify(value)} is not an RFC 3339 time`);
  }
  const offsetMinutes = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0;
  const utc = new Date(date.getTime() - offsetMinutes * 60_000);
  if (utc.getTime() === GO_ZERO_TIME_MS && /^\.?0*$/.test(frac)) return undefined;
  return formatApiTime(utc);
}

/** 0001-01-01T00:00:00Z, Go's zero time.Time. */
const GO_ZERO_TIME_MS = -62135596800000;

export function formatApiTime(date: Date): string {
  const iso = date.toISOString();
  // Years beyond 4 digits print as ±YYYYYY; metav1.Time cannot encode them either.
  return iso.replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Go's encoding/json matches object keys to struct fields case-insensitively, and a later key
 * overwrites an earlier one that matched the same field.
 */
function goField(doc: JsonRecord, name: string): unknown {
  const wanted = name.toLowerCase();
  let value: unknown;
  for (const [key, v] of Object.entries(doc)) {
    if (key.toLowerCase() === wanted) value = v;
  }
  return value;
}

function goString(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw fail(`${path} must be a string`);
  return value;
}

function goInt64(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw fail(`${path} must be an integer`);
  return value;
}

function goBool(value: unknown, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw fail(`${path} must be a boolean`);
  return value;
}

/** `[]string`: a null item decodes as "". */
function goStringList(value: unknown, path: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw fail(`${path} must be an array`);
  return value.map((item, i) => goString(item, `${path}[${i}]`) ?? '');
}

/** `map[string]string`: a null value decodes as "". */
function goStringMap(value: unknown, path: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw fail(`${path} must be an object`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, goString(v, `${path}.${k}`) ?? '']));
}

/** `map[string]struct{}` (`{"8080/tcp": {}}`): keys kept, values must be objects (or null). */
function goKeySet(value: unknown, path: string): Record<string, Record<string, never>> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw fail(`${path} must be an object`);
  const out: Record<string, Record<string, never>> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== null && !isRecord(v)) throw fail(`${path}.${key} must be an object`);
    out[key] = {};
  }
  return out;
}

type Reader = (value: unknown, path: string) => unknown;

/** docker10.DockerConfig: JSON name → how Go decodes it. */
const dockerConfigFields: [keyof ParsedDockerConfig, Reader][] = [
  ['Hostname', goString],
  ['Domainname', goString],
  ['User', goString],
  ['Memory', goInt64],
  ['MemorySwap', goInt64],
  ['CpuShares', goInt64],
  ['Cpuset', goString],
  ['AttachStdin', goBool],
  ['AttachStdout', goBool],
  ['AttachStderr', goBool],
  ['PortSpecs', goStringList],
  ['ExposedPorts', goKeySet],
  ['Tty', goBool],
  ['OpenStdin', goBool],
  ['StdinOnce', goBool],
  ['Env', goStringList],
  ['Cmd', goStringList],
  ['Dns', goStringList],
  ['Image', goString],
  ['Volumes', goKeySet],
  ['VolumesFrom', goString],
  ['WorkingDir', goString],
  ['Entrypoint', goStringList],
  ['NetworkDisabled', goBool],
  ['SecurityOpts', goStringList],
  ['OnBuild', goStringList],
  ['Labels', goStringMap],
];

/** What Go's omitempty leaves out when the DockerConfig is encoded again. */
function isGoEmpty(v: unknown): boolean {
  if (v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isRecord(v) && Object.keys(v).length === 0;
}

function readDockerConfig(value: unknown, path: string): ParsedDockerConfig | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw fail(`${path} must be an object`);
  const config: Record<string, unknown> = {};
  for (const [name, read] of dockerConfigFields) {
    const v = read(goField(value, name), `${path}.${name}`);
    if (!isGoEmpty(v)) config[name] = v;
  }
  return config;
}
