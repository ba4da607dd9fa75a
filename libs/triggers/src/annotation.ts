import { validateDns1123Label } from '@app/api-machinery';
import { type AnnotationTrigger, parseStreamTag } from './trigger.types';

/** A parsed container selector of a trigger fieldPath (reference §8.1). */
export interface ParsedFieldPath {
  /** `containers` or `initContainers`. */
  list: 'containers' | 'initContainers';
  /** An index into `list`, or a name (looked up in initContainers, then containers, as upstream does). */
  selector: { index: number } | { name: string };
}

/**
 * Parses `<podSpecPath>.containers[<sel>].image` in its documented form (what Trigger targets
 * must use); null when it does not match (§8.1 grammar).
 */
export function parseFieldPath(fieldPath: string, podSpecPath: string): ParsedFieldPath | null {
  if (!fieldPath.startsWith(`${podSpecPath}.`)) return null;
  const rest = fieldPath.slice(podSpecPath.length + 1);
  const m = /^(containers|initContainers)\[(\d+|\?\(@\.name=="([^"]+)"\))\]\.image$/.exec(rest);
  if (!m) return null;
  const list = m[1] as 'containers' | 'initContainers';
  if (m[3] !== undefined) return { list, selector: { name: m[3] } };
  return { list, selector: { index: Number(m[2]) } };
}

const NAME_SELECTOR_PREFIX = '?(@.name=="';
const NAME_SELECTOR_SUFFIX = '")';

/**
 * Parses an annotation entry's fieldPath as openshift/library-go's trigger package reads it when
 * it applies the entry: after `<podSpecPath>.`, `containers[` or `initContainers[`, the selector up
 * to the first `]`, an optional `.`, then exactly `image`. The selector is an integer (Go's
 * strconv.Atoi: an optional sign) or a name, read by trimming `?(@.name=="` and/or `")`. Null
 * when the path does not have that shape or the selector is neither (single quotes, say): both
 * fail the object upstream when the entry is applied.
 */
export function parseAnnotationFieldPath(fieldPath: string, podSpecPath: string): ParsedFieldPath | null {
  if (!fieldPath.startsWith(`${podSpecPath}.`)) return null;
  const m = /^(containers|initContainers)\[([^\]]*)\]\.?image$/.exec(fieldPath.slice(podSpecPath.length + 1));
  if (!m) return null;
  const list = m[1] as 'containers' | 'initContainers';
  const sel = m[2]!;
  if (/^[+-]?\d+$/.test(sel)) return { list, selector: { index: Number(sel) } };
  let name = sel.startsWith(NAME_SELECTOR_PREFIX) ? sel.slice(NAME_SELECTOR_PREFIX.length) : sel;
  if (name.endsWith(NAME_SELECTOR_SUFFIX)) name = name.slice(0, -NAME_SELECTOR_SUFFIX.length);
  return name !== sel ? { list, selector: { name } } : null;
}

/** The annotation as the trigger controller reads it (reference §8.1). */
export interface ParsedTriggersAnnotation {
  /** Entries the controller follows, `from.name` as `<stream>:<tag>` (empty when `unusable`). */
  triggers: AnnotationTrigger[];
  /** Why the whole annotation is ignored (upstream leaves such an object alone and only logs it); null when usable. */
  unusable: string | null;
  /** Entries upstream's index leaves out, with why. */
  skipped: string[];
  /**
   * Followed entries whose fieldPath is not a container image path, or selects a name no container
   * can have: upstream fails the whole object on such an entry while it is unpaused and its tag
   * has an image (no entry is applied).
   */
  malformed: string[];
}

class Unusable extends Error {}

/**
 * Does the JSON key name the struct field `name`? Go's decoder folds case as bytes.EqualFold
 * does: ASCII letters, and the Kelvin sign and the long s fold with `k` and `s`.
 */
function keyNames(key: string, name: string): boolean {
  const fold = (c: string) => (c === '\u212a' ? 'K' : c === '\u017f' ? 'S' : /[a-z]/.test(c) ? c.toUpperCase() : c);
  return key.length === name.length && [...key].every((c, i) => fold(c) === fold(name[i]!));
}

/** The index just past the JSON value (valid JSON) starting at `i` (no whitespace before it). */
function valueEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c !== '{' && c !== '[') {
    while (i < text.length && !/[\s,}\]]/.test(text[i]!)) i++;
    return i;
  }
  for (let depth = 0; i < text.length; ) {
    const d = text[i];
    if (d === '"') {
      i = stringEnd(text, i);
      continue;
    }
    if (d === '{' || d === '[') depth++;
    else if ((d === '}' || d === ']') && --depth === 0) return i + 1;
    i++;
  }
  return i;
}

/** The index just past the closing quote of the JSON string starting at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

const skipSpace = (text: string, i: number) => {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
};

/**
 * The members of a JSON object or elements of a JSON array (valid JSON text), as the texts of
 * their values with the keys, in document order and with repeated keys kept: Go's decoder
 * assigns each member in turn, where JSON.parse keeps only the last value of a key.
 */
function membersOf(text: string): { key: string; value: string }[] {
  const members: { key: string; value: string }[] = [];
  const isObjectText = text[0] === '{';
  let i = skipSpace(text, 1);
  while (i < text.length && text[i] !== '}' && text[i] !== ']') {
    let key = '';
    if (isObjectText) {
      const end = stringEnd(text, i);
      key = JSON.parse(text.slice(i, end)) as string;
      i = skipSpace(text, skipSpace(text, end) + 1);
    }
    const end = valueEnd(text, i);
    members.push({ key, value: text.slice(i, end) });
    i = skipSpace(text, end);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return members;
}

/**
 * Decodes a member's value into a string or boolean field as Go does: null leaves the field as
 * it was, a value of another JSON type does not decode.
 */
function scalar<T extends string | boolean>(value: string, current: T, at: string): T {
  const v: unknown = JSON.parse(value);
  if (v === null) return current;
  if (typeof v !== typeof current) throw new Unusable(`${at} must be a ${typeof current === 'string' ? 'string' : 'boolean'}`);
  return v as T;
}

interface DecodedEntry {
  kind: string;
  name: string;
  namespace: string;
  apiVersion: string;
  fieldPath: string;
  paused: boolean;
}

/**
 * One entry (an object's JSON text) decoded into ObjectFieldTrigger as Go's decoder fills it:
 * members in document order, each key matched case-insensitively, so of two members naming one
 * field the last wins (a null one leaves it as it was), and a second `from` object fills the
 * same struct, overwriting only the fields it has.
 */
function decodeEntry(text: string, at: string): DecodedEntry {
  const e: DecodedEntry = { kind: '', name: '', namespace: '', apiVersion: '', fieldPath: '', paused: false };
  for (const { key, value } of membersOf(text)) {
    if (keyNames(key, 'fieldPath')) e.fieldPath = scalar(value, e.fieldPath, `${at}.fieldPath`);
    else if (keyNames(key, 'paused')) e.paused = scalar(value, e.paused, `${at}.paused`);
    else if (keyNames(key, 'from')) {
      if (value === 'null') continue;
      if (value[0] !== '{') throw new Unusable(`${at}.from must be an object`);
      for (const m of membersOf(value)) {
        for (const f of ['kind', 'name', 'namespace', 'apiVersion'] as const) {
          if (keyNames(m.key, f)) e[f] = scalar(m.value, e[f], `${at}.from.${f}`);
        }
      }
    }
  }
  return e;
}

/**
 * Reads the annotation as openshift/library-go's trigger package decodes it into
 * `[]ObjectFieldTrigger`: what does not decode (not JSON, not a list, a field of the wrong type
 * such as `"paused": "false"`) or repeats a `fieldPath` makes the whole annotation unusable; a
 * `fieldPath` of this kind's pod template that is not a container image path is kept and listed
 * in `malformed` (upstream only fails on it when it applies the entry); entries the index leaves out (another `from.kind`, an `apiVersion`, a name
 * that is not `<stream>:<tag>`, a `fieldPath` of another kind's template) are skipped. `<stream>:`
 * means `<stream>:latest`. The workload is stored either way; the write answers a Warning.
 */
export function parseTriggersAnnotation(value: string, podSpecPath: string): ParsedTriggersAnnotation {
  const skipped: string[] = [];
  const malformed: string[] = [];
  try {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Unusable('not valid JSON');
    }
    if (parsed === null) return { triggers: [], unusable: null, skipped, malformed };
    if (!Array.isArray(parsed)) throw new Unusable('must be a JSON list of triggers');
    const seen = new Set<string>();
    const triggers: AnnotationTrigger[] = [];
    membersOf(value.trim()).forEach(({ value: raw }, i) => {
      const at = `[${i}]`;
      if (raw === 'null') {
        // Go decodes null into the zero ObjectFieldTrigger: its fieldPath "" counts in the
        // duplicate check (two nulls, or a null and an entry without fieldPath, are duplicates).
        if (seen.has('')) throw new Unusable(`${at}: duplicate triggers are not allowed (fieldPath "")`);
        seen.add('');
        skipped.push(`${at}: empty entry`);
        return;
      }
      if (raw[0] !== '{') throw new Unusable(`${at} must be an object`);
      const { kind, name, namespace, apiVersion, fieldPath, paused } = decodeEntry(raw, at);
      if (seen.has(fieldPath)) throw new Unusable(`${at}: duplicate triggers are not allowed (fieldPath ${fieldPath})`);
      seen.add(fieldPath);
      if (!fieldPath.startsWith(`${podSpecPath}.`)) {
        skipped.push(`${at}: fieldPath ${JSON.stringify(fieldPath)} is not under ${podSpecPath}`);
        return;
      }
      if (kind !== 'ImageStreamTag' || apiVersion) {
        skipped.push(`${at}: only from.kind ImageStreamTag without apiVersion is followed`);
        return;
      }
      const streamTag = parseStreamTag(name.endsWith(':') ? `${name}latest` : name);
      if (!streamTag) {
        skipped.push(`${at}: from.name ${JSON.stringify(name)} is not <stream>:<tag>`);
        return;
      }
      const parsedPath = parseAnnotationFieldPath(fieldPath, podSpecPath);
      if (!parsedPath) {
        malformed.push(`${at}.fieldPath must be ${podSpecPath}.containers[<index>|?(@.name=="<name>")].image (or initContainers)`);
      } else if ('name' in parsedPath.selector && validateDns1123Label(parsedPath.selector.name, 'name').length) {
        // Upstream trims `?(@.name=="` and `")` separately, so `?(@.name="web")` (one `=`) selects a
        // container named `?(@.name="web`: no container can be (names are DNS-1123 labels), and the
        // controller fails the object with "no such container" whenever the entry applies.
        malformed.push(`${at}.fieldPath selects the container ${JSON.stringify(parsedPath.selector.name)}, which no container can be named; write ?(@.name=="<name>")`);
      }
      triggers.push({
        from: { kind, name: `${streamTag.stream}:${streamTag.tag}`, ...(namespace ? { namespace } : {}) },
        fieldPath,
        paused,
      });
    });
    return { triggers, unusable: null, skipped, malformed };
  } catch (e) {
    if (!(e instanceof Unusable)) throw e;
    return { triggers: [], unusable: e.message, skipped, malformed: [] };
  }
}

/** Warning header texts for a workload's annotation problems (none when it is fine). */
export function triggersAnnotationWarnings(value: string | undefined, podSpecPath: string): string[] {
  if (value === undefined) return [];
  const { unusable, skipped, malformed } = parseTriggersAnnotation(value, podSpecPath);
  const prefix = 'metadata.annotations[image.openshift.io/triggers]';
  if (unusable) return [`${prefix}: ${unusable}; the image triggers of this object are ignored`];
  return [
    ...skipped.map((s) => `${prefix}${s}; this entry is ignored`),
    ...malformed.map((s) => `${prefix}: ${s}; while its tag has an image, no trigger of this object is applied`),
  ];
}

export interface JsonPatchOp {
  op: 'replace' | 'add';
  path: string;
  value: unknown;
}

function getAt(obj: unknown, path: string[]): unknown {
  let cur: unknown = obj;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

type ContainerAt = { path: string[]; container: { image?: unknown } };

/** The container at `index` of the pod spec's `list`, with its JSON pointer segments; null when absent. */
function containerIn(obj: unknown, podSpecPath: string, list: ParsedFieldPath['list'], index: number): ContainerAt | null {
  const base = [...podSpecPath.split('.'), list];
  const containers = getAt(obj, base);
  const container: unknown = Array.isArray(containers) && index >= 0 ? containers[index] : undefined;
  if (typeof container !== 'object' || container === null) return null;
  return { path: [...base, String(index), 'image'], container };
}

/**
 * The container a parsed selector names; null when absent. A name is looked up among the
 * initContainers first, then the containers, whichever list the path says (library-go's
 * GetContainerByName; Kubernetes keeps names unique across both lists).
 */
function containerAt(obj: unknown, podSpecPath: string, parsed: ParsedFieldPath): ContainerAt | null {
  const { selector } = parsed;
  if ('index' in selector) return containerIn(obj, podSpecPath, parsed.list, selector.index);
  for (const list of ['initContainers', 'containers'] as const) {
    const containers = getAt(obj, [...podSpecPath.split('.'), list]);
    const index = Array.isArray(containers) ? containers.findIndex((c: unknown) => (c as { name?: unknown } | null)?.name === selector.name) : -1;
    if (index >= 0) return containerIn(obj, podSpecPath, list, index);
  }
  return null;
}

/** The container image at `fieldPath` (null when the container has none, undefined when there is no such container). */
export function imageAt(obj: unknown, podSpecPath: string, fieldPath: string): string | null | undefined {
  const parsed = parseAnnotationFieldPath(fieldPath, podSpecPath);
  const at = parsed ? containerAt(obj, podSpecPath, parsed) : null;
  if (!at) return undefined;
  return typeof at.container.image === 'string' ? at.container.image : null;
}

/**
 * The JSON patch (RFC 6902) that sets the container image at `fieldPath` to `image`; null when
 * the container does not exist or already runs `image`. No `test` of the old value: triggers are
 * level-driven, so whatever image the container ran (an older fire's, one set by hand) is
 * replaced, as OpenShift's controller replaces any image that differs; a `test` would make a
 * receiver's `kubectl patch --type=json` fail on an object edited meanwhile, or already updated
 * (an annotated workload stored here, which the worker updates itself).
 */
export function imagePatch(obj: unknown, podSpecPath: string, fieldPath: string, image: string): JsonPatchOp[] | null {
  const parsed = parseAnnotationFieldPath(fieldPath, podSpecPath);
  const at = parsed ? containerAt(obj, podSpecPath, parsed) : null;
  if (!at || at.container.image === image) return null;
  return setImageOps(at, image);
}

/**
 * Like imagePatch, but a container that already runs `image` still gets the (idempotent)
 * `replace`: for receivers that apply it to their own copy of the object, which may lag ours.
 */
export function setImagePatch(obj: unknown, podSpecPath: string, fieldPath: string, image: string): JsonPatchOp[] | null {
  const parsed = parseAnnotationFieldPath(fieldPath, podSpecPath);
  const at = parsed ? containerAt(obj, podSpecPath, parsed) : null;
  return at ? setImageOps(at, image) : null;
}

function setImageOps(at: { path: string[]; container: { image?: unknown } }, image: string): JsonPatchOp[] {
  return [{ op: at.container.image === undefined ? 'add' : 'replace', path: `/${at.path.join('/')}`, value: image }];
}
