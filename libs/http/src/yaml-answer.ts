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

const isLetter = (c: string) => /\p{L}/u.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

/**
 * The order go-yaml (v2, under sigs.k8s.io/yaml) writes a map's string keys in: rune by rune,
 * letters by code point, a non-letter before a letter, runs of digits by their value. Written out
 * because js-yaml's `sortKeys` takes a comparator and no library ships go-yaml's.
 */
export function goYamlKeyOrder(a: string, b: string): number {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]!);
    const bl = isLetter(br[i]!);
    if (al && bl) return ar[i]! < br[i]! ? -1 : 1;
    if (al || bl) return bl ? -1 : 1;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = an * 10 + Number(ar[ai]);
    for (; bi < br.length && isDigit(br[bi]!); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn ? -1 : 1;
    if (ai !== bi) return ai < bi ? -1 : 1;
    return ar[i]! < br[i]! ? -1 : 1;
  }
  return ar.length - br.length;
}

/**
 * An answer body as YAML, the way kube-apiserver writes it (sigs.k8s.io/yaml over go-yaml): keys
 * in go-yaml's order, list items not indented under their key, strings that need quoting in
 * double quotes; no anchors, no folding.
 */
export function toYaml(body: object): string {
  return dumpYaml(body, { noRefs: true, lineWidth: -1, sortKeys: goYamlKeyOrder, seqNoIndent: true, quoteStyle: 'double' });
}
