import {
  type Fail,
  type JsonRecord,
  parseJson,
  readOptionalKeySet,
  readOptionalString,
  readOptionalStringArray,
  readOptionalStringMap,
  readRecord,
} from './json-shape';
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
 * Maps an image config JSON (lower-case top-level keys, capitalised `config` keys) to DockerImage
 * fields the way openshift's docker10 conversion does: known keys only, unknown keys dropped.
 */
export function readImageConfig(rawConfig: Buffer | string): ImageConfigMetadata {
  const doc = readRecord(parseJson(rawConfig, 'image config', fail), 'image config', fail);
  const out: ImageConfigMetadata = {
    Created: readCreated(doc['created']),
    Parent: readOptionalString(doc['parent'], 'parent', fail) || undefined,
    Author: readOptionalString(doc['author'], 'author', fail),
    Comment: readOptionalString(doc['comment'], 'comment', fail),
    Container: readOptionalString(doc['container'], 'container', fail) || undefined,
    ContainerConfig: readDockerConfig(doc['container_config'], 'container_config') ?? {},
    DockerVersion: readOptionalString(doc['docker_version'], 'docker_version', fail) || undefined,
    Config: readDockerConfig(doc['config'], 'config'),
    Architecture: readOptionalString(doc['architecture'], 'architecture', fail),
    Os: readOptionalString(doc['os'], 'os', fail),
    Variant: readOptionalString(doc['variant'], 'variant', fail),
  };
  for (const key of Object.keys(out) as (keyof ImageConfigMetadata)[]) {
    if (out[key] === undefined) delete out[key];
  }
  return out;
}

/** metav1.Time serialises as RFC 3339 in UTC with whole seconds. */
function readCreated(value: unknown): string | undefined {
  const text = readOptionalString(value, 'created', fail);
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw fail(`created ${JSON.stringify(text)} is not a valid time`);
  return formatApiTime(new Date(ms));
}

export function formatApiTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function readDockerConfig(value: unknown, path: string): ParsedDockerConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const c: JsonRecord = readRecord(value, path, fail);
  const str = (key: string) => readOptionalString(c[key], `${path}.${key}`, fail);
  const list = (key: string) => readOptionalStringArray(c[key], `${path}.${key}`, fail);
  const config: ParsedDockerConfig = {
    Hostname: str('Hostname'),
    Domainname: str('Domainname'),
    User: str('User'),
    ExposedPorts: readOptionalKeySet(c['ExposedPorts'], `${path}.ExposedPorts`, fail),
    Env: list('Env'),
    Cmd: list('Cmd'),
    Entrypoint: list('Entrypoint'),
    Image: str('Image'),
    Volumes: readOptionalKeySet(c['Volumes'], `${path}.Volumes`, fail),
    WorkingDir: str('WorkingDir'),
    Labels: readOptionalStringMap(c['Labels'], `${path}.Labels`, fail),
    OnBuild: list('OnBuild'),
    StopSignal: str('StopSignal'),
  };
  // Go's omitempty drops empty strings; keep the document free of "" noise the same way.
  for (const key of Object.keys(config) as (keyof ParsedDockerConfig)[]) {
    const v = config[key];
    if (v === undefined || v === '') delete config[key];
  }
  return config;
}
