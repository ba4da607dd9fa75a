/**
 * The kinds this server decodes, by apiVersion: kube-apiserver's scheme, and process-wide as
 * upstream's legacyscheme is (every resource registers its kind as it is served). A write body
 * naming a kind outside it fails as the decoder's lookup does ("no kind … is registered"); one
 * inside it, but not the resource's, as a conversion between two types would.
 */
const registered = new Set<string>();

/** The scheme's name in the decoder's message: the source line that made kube-apiserver's scheme. */
export const SCHEME_NAME = 'pkg/api/legacyscheme/scheme.go:30';

const entry = (apiVersion: string, kind: string) => `${apiVersion} ${kind}`;

/** Registers a served kind and its list kind, as a group's install does. */
export function registerKind(apiVersion: string, kind: string): void {
  registered.add(entry(apiVersion, kind));
  registered.add(entry(apiVersion, `${kind}List`));
}

/** Registers exactly these kinds (no list kinds added) in a version, as a scheme's AddKnownTypes does. */
export function registerKnownTypes(apiVersion: string, kinds: readonly string[]): void {
  for (const kind of kinds) registered.add(entry(apiVersion, kind));
}

export function isRegisteredKind(apiVersion: string, kind: string): boolean {
  return registered.has(entry(apiVersion, kind));
}
