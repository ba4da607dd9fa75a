/** One media range of an Accept header: its type (lower case), its parameters, and whether it was empty. */
export interface MediaRange {
  type: string;
  params: Map<string, string>;
  empty: boolean;
}

/**
 * The ranges of an Accept header in the order given, parameters keyed in lower case with quotes
 * removed (`application/json;as=Table;v=v1;g=meta.k8s.io`). Callers pick the first they can serve,
 * as kube-apiserver's negotiation does.
 */
export function mediaRanges(accept: string | undefined): MediaRange[] {
  return (accept ?? '').split(',').map((range) => {
    const [type = '', ...rawParams] = range.split(';').map((p) => p.trim());
    const params = new Map(
      rawParams.map((p): [string, string] => {
        const eq = p.indexOf('=');
        return eq < 0 ? [p.toLowerCase(), ''] : [p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"|"$/g, '')];
      }),
    );
    return { type: type.toLowerCase(), params, empty: range.trim() === '' };
  });
}
