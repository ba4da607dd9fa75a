import { ApiError, goJsonSyntaxError, makeStorable, REDACTED_VALUE, type ResourceInfo, type PatchType, patchTypeOf, refuseTooManyJsonPatchOperations } from '@app/api-machinery';
import { load as loadYaml } from 'js-yaml';
import { decodeKubernetesProtobuf } from './kube-protobuf';
import { type BodyKeys, duplicateFields, keyOffsets, NO_REPEATED_KEYS } from './openapi/duplicate-fields';
import { refuseExcessiveYamlAliasing } from './yaml-aliasing';
import { yamlRepeatedKeys } from './yaml-repeated-keys';

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A body JSON.parse refused (not one refused after parsing, e.g. for its depth). */
class JsonSyntaxError extends ApiError {
  constructor(message: string) {
    super(400, 'BadRequest', `the request body is not valid JSON: ${message}`);
  }
}

function parseJson(raw: Buffer): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new JsonSyntaxError((e as Error).message);
  }
  return makeStorable(parsed);
}

/** A body the YAML parser refused; `parserMessage` is the parser's first line. */
class YamlSyntaxError extends ApiError {
  constructor(readonly parserMessage: string) {
    super(400, 'BadRequest', `the request body is not valid YAML: ${parserMessage}`);
  }
}

/**
 * A YAML body as sigs.k8s.io/yaml's YAMLToJSON reads it: a key repeated in one mapping keeps its
 * last value (`json: true`); field validation reports the repeats (duplicateFieldsOf).
 */
function parseYaml(raw: Buffer): unknown {
  try {
    const value = loadYaml(raw.toString('utf8'), { json: true });
    // Before any walk over it: aliases may make a short body a graph with billions of paths.
    refuseExcessiveYamlAliasing(value, raw.length);
    return makeStorable(value);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new YamlSyntaxError((e as Error).message.split('\n')[0]!);
  }
}

function requireBody(raw: Buffer | undefined): Buffer {
  if (!raw || raw.length === 0) throw ApiError.badRequest('the request body is empty');
  return raw;
}

const objectMediaTypes = new Set(['application/json', '', 'application/yaml', 'application/x-yaml', 'application/vnd.kubernetes.protobuf']);

/**
 * A create/update body's Content-Type must be one the serializer decodes (none is JSON), else 415;
 * kube-apiserver's create and update handlers check it before the write's options.
 */
export function requireObjectMediaType(contentType: string | undefined): void {
  if (!objectMediaTypes.has(mediaType(contentType))) throw ApiError.unsupportedMediaType();
}

/** Decodes a create/update body: JSON, YAML, or (core kinds) Kubernetes protobuf; anything else is 415. */
export function decodeObjectBody(contentType: string | undefined, raw: Buffer | undefined): unknown {
  requireObjectMediaType(contentType);
  const type = mediaType(contentType);
  if (type === 'application/yaml' || type === 'application/x-yaml') return parseYaml(requireBody(raw));
  if (type === 'application/vnd.kubernetes.protobuf') return makeStorable(decodeKubernetesProtobuf(requireBody(raw)));
  return parseJson(requireBody(raw));
}

/** The Go type kube-apiserver's decoder first reads a body into, to find its kind (SimpleMetaFactory.Interpret). */
const kindProbeType = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/**
 * kube-apiserver's answer to a create or update body its decoder cannot find a kind in
 * (handlers' transformDecodeError): the decoder's error, then the body's first 30 bytes, as text
 * when it starts with `{`, else in hex; `<redacted>` for a kind whose bodies hold secrets.
 */
function unrecognizedBody(info: ResourceInfo, reason: string, raw: Buffer): ApiError {
  const head = raw.subarray(0, 30);
  const more = raw.length > 30 ? ' ...' : '';
  const quoted = raw[0] === 0x7b ? head.toString('utf8') + more : head.toString('hex') + more;
  const summary = raw.length === 0 ? '<empty>' : info.secretBodies ? REDACTED_VALUE : quoted;
  return ApiError.badRequest(`the object provided is unrecognized (must be of type ${info.kind}): couldn't get version/kind; json parse error: ${reason} (${summary})`);
}

/**
 * A body decoded as kube-apiserver's serializer reads it, or why its first step (finding the kind,
 * SimpleMetaFactory.Interpret) fails, in Go's words: JSON (or an empty body) that does not parse
 * gives Go's syntax error, a list or scalar (JSON or YAML) the type error of reading it as an
 * object. Other failures (YAML syntax, protobuf, media type) are thrown as they are.
 */
function interpretBody(contentType: string | undefined, raw: Buffer | undefined): { body: unknown } | { goError: string } {
  const bytes = raw ?? Buffer.alloc(0);
  let body: unknown;
  try {
    body = decodeObjectBody(contentType, raw);
  } catch (e) {
    // Go's wording is worked out only for an empty body or one JSON.parse refused (the same grammar).
    const type = mediaType(contentType);
    const unparsed = e instanceof JsonSyntaxError || bytes.length === 0;
    const syntax = unparsed && (type === 'application/json' || type === '') ? goJsonSyntaxError(bytes) : null;
    if (syntax) return { goError: syntax };
    throw e;
  }
  if (body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    return { goError: `json: cannot unmarshal ${goJsonType(body)} into Go value of type ${kindProbeType}` };
  }
  return { body };
}

/**
 * A create or update body of `info`'s kind, refused as kube-apiserver refuses one it cannot read
 * (interpretBody, worded by unrecognizedBody). `null` stays refused (see requireObjectBody), where
 * kube-apiserver would read it as an empty object.
 */
export function decodeWriteBody(info: ResourceInfo, contentType: string | undefined, raw: Buffer | undefined): Record<string, unknown> {
  const read = interpretBody(contentType, raw);
  if ('goError' in read) throw unrecognizedBody(info, read.goError, raw ?? Buffer.alloc(0));
  return requireObjectBody(read.body);
}

/**
 * A create or update body is an object (kube-apiserver's decoder finds no kind in anything else):
 * null, a list or a scalar is 400 before any handler runs, so none reads it as "no fields given".
 */
export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  const got = body === null ? 'null' : Array.isArray(body) ? 'a list' : `a ${typeof body}`;
  throw ApiError.badRequest(`the request body must be an object, not ${got}`);
}

/** The patch a PATCH's Content-Type names; any other (application/json, none) is the router's 415. */
export function patchTypeOfRequest(contentType: string | undefined): PatchType {
  const type = patchTypeOf(mediaType(contentType));
  if (!type) throw ApiError.unsupportedPatchMediaType();
  return type;
}

/** Decodes a PATCH body and says which patch it is; unknown patch types are 415. */
export function decodePatchBody(contentType: string | undefined, raw: Buffer | undefined, fieldValidation?: string): { type: PatchType; patch: unknown } {
  const type = patchTypeOfRequest(contentType);
  const body = requireBody(raw);
  const strict = fieldValidation !== 'Ignore';
  const patch = type === 'apply' ? parseApplyYaml(body) : parsePatchJson(body, type, strict);
  return { type, patch: type === 'json' ? jsonPatchOperations(patch, strict) : patch };
}

/**
 * The apply patcher's YAML decode: `error decoding YAML: …`. It reads the body with
 * sigs.k8s.io/yaml's Unmarshal into a map, so a list or scalar is encoding/json's type error,
 * wrapped as that Unmarshal wraps it.
 */
function parseApplyYaml(body: Buffer): unknown {
  let parsed: unknown;
  try {
    parsed = parseYaml(body);
  } catch (e) {
    if (e instanceof YamlSyntaxError) throw ApiError.badRequest(`error decoding YAML: ${e.parserMessage}`);
    throw e;
  }
  if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
    throw ApiError.badRequest(`error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${goJsonType(parsed)} into Go value of type ${goMapType}`);
  }
  return parsed;
}

const goMapType = 'map[string]interface {}';

/**
 * A JSON, merge or strategic-merge patch body, refused in kube-apiserver's words (handlers'
 * patch.go): with field validation (Warn, the default, or Strict) a JSON or merge patch is first
 * decoded strictly (`error decoding patch: <Go's error>`; a merge patch into a map); without it a
 * merge patch that does not parse is jsonpatch's `Invalid JSON Patch` and a JSON patch Go's bare
 * error; a strategic-merge patch is decoded into a map either way (Go's bare error).
 */
function parsePatchJson(body: Buffer, type: Exclude<PatchType, 'apply'>, strict: boolean): unknown {
  let patch: unknown;
  try {
    patch = parseJson(body);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    const syntax = goJsonSyntaxError(body);
    if (!syntax) throw e;
    if (type === 'merge' && !strict) throw ApiError.badRequest('Invalid JSON Patch');
    throw ApiError.badRequest(type !== 'strategic' && strict ? `error decoding patch: ${syntax}` : syntax);
  }
  const notAMap = patch !== null && (typeof patch !== 'object' || Array.isArray(patch));
  if (notAMap && type === 'merge' && strict) throw ApiError.badRequest(`error decoding patch: json: cannot unmarshal ${goJsonType(patch)} into Go value of type ${goMapType}`);
  if (notAMap && type === 'strategic') throw ApiError.badRequest(`json: cannot unmarshal ${goJsonType(patch)} into Go value of type ${goMapType}`);
  return patch;
}

/**
 * A JSON patch decodes as kube-apiserver decodes it: with field validation (Warn, the default, or
 * Strict) first strictly into its own operation struct (`error decoding patch: …`, op, path and
 * from strings), then by jsonpatch.DecodePatch: a list of objects (null: no operations; a null
 * item is an operation of no kind, refused when applied), else 400 with Go's unmarshal wording;
 * more than 10,000 operations are 413.
 */
function jsonPatchOperations(patch: unknown, strict: boolean): unknown[] {
  if (strict) checkJsonPatchStrictly(patch);
  if (patch === null) return [];
  if (!Array.isArray(patch)) throw ApiError.badRequest(`json: cannot unmarshal ${goJsonType(patch)} into Go value of type jsonpatch.Patch`);
  const bad = patch.find((op) => op !== null && (typeof op !== 'object' || Array.isArray(op)));
  if (bad !== undefined) throw ApiError.badRequest(`json: cannot unmarshal ${goJsonType(bad)} into Go value of type jsonpatch.Operation`);
  refuseTooManyJsonPatchOperations(patch.length);
  return patch.map((op: unknown) => op ?? {});
}

/** The strict decode into []handlers.jsonPatchOp (op, path, from: strings; value: anything). */
function checkJsonPatchStrictly(patch: unknown): void {
  const fail = (what: string) => {
    throw ApiError.badRequest(`error decoding patch: json: cannot unmarshal ${what}`);
  };
  if (patch === null) return;
  if (!Array.isArray(patch)) fail(`${goJsonType(patch)} into Go value of type []handlers.jsonPatchOp`);
  for (const op of patch as unknown[]) {
    if (op === null) continue;
    if (typeof op !== 'object' || Array.isArray(op)) fail(`${goJsonType(op)} into Go value of type handlers.jsonPatchOp`);
    for (const key of ['op', 'path', 'from']) {
      const value = (op as Record<string, unknown>)[key];
      if (value !== undefined && value !== null && typeof value !== 'string') fail(`${goJsonType(value)} into Go struct field jsonPatchOp.${key} of type string`);
    }
  }
}

/** How encoding/json names a JSON value's type in an UnmarshalTypeError. */
function goJsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'object' : typeof value;
}

/**
 * DeleteOptions are optional on DELETE. A body the decoder cannot read (interpretBody) is 400 with
 * its words (`couldn't get version/kind; json parse error: …`), as kube-apiserver's delete handler
 * answers since it wraps the decoder's error as a BadRequest (before, a 500 with the same text).
 */
export function decodeDeleteBody(contentType: string | undefined, raw: Buffer | undefined): Record<string, unknown> | undefined {
  if (!raw || raw.length === 0) return undefined;
  const read = interpretBody(contentType, raw);
  if ('goError' in read) throw ApiError.badRequest(`couldn't get version/kind; json parse error: ${read.goError}`);
  return read.body === null ? {} : (read.body as Record<string, unknown>);
}

/**
 * Keys a body repeats, for field validation: a JSON body's (object, merge or strategic-merge patch)
 * as dotted paths, a YAML body's (object or apply configuration) in go-yaml's strict words. Call it
 * once the body decoded. A JSON patch's operations are read by the patch library, which keeps the
 * last value as kube-apiserver's does.
 */
export function duplicateFieldsOf(contentType: string | undefined, raw: Buffer | undefined, patchType?: PatchType): BodyKeys {
  if (!raw || raw.length === 0 || patchType === 'json') return NO_REPEATED_KEYS;
  const type = mediaType(contentType);
  if (patchType === 'apply' || (patchType === undefined && (type === 'application/yaml' || type === 'application/x-yaml'))) {
    return { repeated: [], yaml: yamlRepeatedKeys(raw.toString('utf8')) };
  }
  const json = patchType !== undefined || type === 'application/json' || type === '';
  if (!json) return NO_REPEATED_KEYS;
  const text = raw.toString('utf8');
  return { repeated: duplicateFields(text), offsets: () => keyOffsets(text) };
}
