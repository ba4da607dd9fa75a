import { dump as dumpYaml } from 'js-yaml';
import { renderingOf } from './table/table-convertor';

/**
 * Does the client ask for YAML first? kube-apiserver negotiates every answer, write results and
 * failures included; an Accept this server cannot serve gets JSON here (reads answer it 406).
 */
export function asksForYaml(accept: string | undefined): boolean {
  try {
    const rendering = renderingOf(accept);
    return rendering.as === 'Object' && rendering.yaml === true;
  } catch {
    return false;
  }
}

/** An answer body as YAML, the way `kubectl get -o yaml` would print it (no anchors, no folding). */
export function toYaml(body: object): string {
  return dumpYaml(body, { noRefs: true, lineWidth: -1 });
}
