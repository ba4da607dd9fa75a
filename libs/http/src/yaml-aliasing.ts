import { ApiError } from '@app/api-machinery';

/** Values a YAML body may expand to through aliases however short it is (a few milliseconds of work). */
const MIN_EXPANDED_VALUES = 100_000;

/**
 * js-yaml resolves an alias to the very object its anchor named, so a few hundred bytes of nested
 * aliases (a "billion laughs" document) load as a small graph that every later walk (storable-string
 * checks, patching, JSON encoding) expands to billions of values, holding the event loop for minutes.
 * go-yaml, which kube-apiserver decodes YAML with, refuses such documents ("document contains
 * excessive aliasing"); here the expansion is counted once per distinct object (memoized) and may
 * not exceed the body's length in bytes (what an alias-free document of that size could hold) or
 * MIN_EXPANDED_VALUES. An alias inside its own anchor (a cycle) is refused too.
 */
export function refuseExcessiveYamlAliasing(value: unknown, bodyBytes: number): void {
  if (value === null || typeof value !== 'object') return;
  const limit = Math.max(bodyBytes, MIN_EXPANDED_VALUES);
  const refuse = () => ApiError.badRequest('the request body is not valid YAML: yaml: document contains excessive aliasing');
  /** Values under each distinct object, itself included; -1 while its children are being counted. */
  const expanded = new Map<object, number>();
  const stack: { node: object; childrenPushed: boolean }[] = [{ node: value, childrenPushed: false }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (!top.childrenPushed && expanded.has(top.node)) {
      // Pushed twice (two aliases of one anchor side by side) and counted through the other.
      stack.pop();
      continue;
    }
    const children = Object.values(top.node).filter((v): v is object => v !== null && typeof v === 'object');
    if (!top.childrenPushed) {
      top.childrenPushed = true;
      expanded.set(top.node, -1);
      for (const child of children) {
        const known = expanded.get(child);
        if (known === -1) throw refuse();
        if (known === undefined) stack.push({ node: child, childrenPushed: false });
      }
      continue;
    }
    stack.pop();
    let total = 1 + Object.keys(top.node).length - children.length;
    for (const child of children) total += expanded.get(child)!;
    if (total > limit) throw refuse();
    expanded.set(top.node, total);
  }
}
