/** One media range of an Accept header: its type (lower case), its parameters, and its q value. */
export interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

/**
 * The ranges of an Accept header in the order kube-apiserver's negotiation tries them
 * (github.com/munnerz/goautoneg ParseAccept, which it sorts by): by q, highest first, and
 * otherwise a concrete type before `*` and a concrete subtype before `*`; equal ranges keep the
 * order given. As there, a range without a `/` (other than `*`) or with two is dropped, a `q`
 * that does not parse is 0, and a q of 0 still counts (only ranked last). Parameters are keyed
 * in lower case with quotes removed (`application/json;as=Table;v=v1;g=meta.k8s.io`); `q` is
 * not among them. Callers pick the first they can serve.
 *
 * Written out because no npm negotiator orders ranges as goautoneg does (`negotiator` drops
 * q=0 and ranks by specificity first), and the order decides what a client gets.
 */
export function mediaRanges(accept: string | undefined): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const range of (accept ?? '').split(',')) {
    const [typePart = '', ...rawParams] = range.split(';');
    const slashes = typePart.split('/').map((p) => p.trim().toLowerCase());
    let type: string;
    if (slashes.length === 1 && slashes[0] === '*') type = '*/*';
    else if (slashes.length === 2) type = `${slashes[0]}/${slashes[1]}`;
    else continue;
    let q = 1;
    const params = new Map<string, string>();
    for (const raw of rawParams) {
      const pair = raw.split('=');
      if (pair.length !== 2) continue;
      const key = pair[0]!.trim().toLowerCase();
      if (key === 'q') q = goParseFloat(pair[1]!);
      else params.set(key, pair[1]!.trim().replace(/^"|"$/g, ''));
    }
    ranges.push({ type, params, q });
  }
  // Insertion sort, as Go's sort.Sort does for up to 12 ranges (Accept headers are that short):
  // stable, and with goautoneg's own "less", which is no total order (a lower q with a concrete
  // type still ranks before a wildcard next to it), so the algorithm decides as Go's does.
  for (let i = 1; i < ranges.length; i++) {
    for (let j = i; j > 0 && rankedBefore(ranges[j]!, ranges[j - 1]!); j--) [ranges[j], ranges[j - 1]] = [ranges[j - 1]!, ranges[j]!];
  }
  return ranges;
}

/** goautoneg's acceptSlice.Less. */
function rankedBefore(a: MediaRange, b: MediaRange): boolean {
  if (a.q > b.q) return true;
  const [aType, aSub] = a.type.split('/');
  const [bType, bSub] = b.type.split('/');
  if (aType !== '*' && bType === '*') return true;
  return aSub !== '*' && bSub === '*';
}

/** strconv.ParseFloat of an untrimmed value: anything but a plain decimal number is 0. */
function goParseFloat(text: string): number {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : 0;
}
