/** One dot-separated pre-release identifier: numeric ones compare as numbers, below alphanumeric ones. */
type PreRelease = bigint | string;

/** A semantic version as blang/semver v4 parses it (build metadata has no precedence and is dropped). */
export interface Semver {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: PreRelease[];
}

const maxUint64 = (1n << 64n) - 1n;
const numeric = /^[0-9]+$/;
const alphanumeric = /^[0-9A-Za-z-]+$/;

/** A version number part: digits only, no leading zero, fits uint64 (Go's ParseUint). */
function number(s: string): bigint | null {
  if (!numeric.test(s) || (s.length > 1 && s[0] === '0')) return null;
  const n = BigInt(s);
  return n <= maxUint64 ? n : null;
}

function preRelease(s: string): PreRelease | null {
  if (numeric.test(s)) return number(s);
  return alphanumeric.test(s) ? s : null;
}

/**
 * blang/semver v4 Parse, the strict MAJOR.MINOR.PATCH[-pre][+build] form that library-go's tag
 * prioritization uses; null when it would return an error.
 */
export function parseSemver(s: string): Semver | null {
  const firstDot = s.indexOf('.');
  const secondDot = firstDot < 0 ? -1 : s.indexOf('.', firstDot + 1);
  if (secondDot < 0) return null;
  const major = number(s.slice(0, firstDot));
  const minor = number(s.slice(firstDot + 1, secondDot));
  if (major === null || minor === null) return null;
  let rest = s.slice(secondDot + 1);
  const plus = rest.indexOf('+');
  if (plus >= 0) {
    const build = rest.slice(plus + 1).split('.');
    if (build.some((b) => !alphanumeric.test(b))) return null;
    rest = rest.slice(0, plus);
  }
  const dash = rest.indexOf('-');
  const pre: PreRelease[] = [];
  if (dash >= 0) {
    for (const part of rest.slice(dash + 1).split('.')) {
      const parsed = preRelease(part);
      if (parsed === null) return null;
      pre.push(parsed);
    }
    rest = rest.slice(0, dash);
  }
  const patch = number(rest);
  return patch === null ? null : { major, minor, patch, pre };
}

function sign<T extends bigint | string>(a: T, b: T): number {
  return a === b ? 0 : a > b ? 1 : -1;
}

/** blang/semver Version.Compare: -1, 0 or 1; a version without pre-release ranks above one with. */
export function compareSemver(a: Semver, b: Semver): number {
  const core = sign(a.major, b.major) || sign(a.minor, b.minor) || sign(a.patch, b.patch);
  if (core !== 0) return core;
  if (a.pre.length === 0 && b.pre.length === 0) return 0;
  if (a.pre.length === 0) return 1;
  if (b.pre.length === 0) return -1;
  for (let i = 0; i < a.pre.length && i < b.pre.length; i++) {
    const x = a.pre[i]!;
    const y = b.pre[i]!;
    const kinds = (typeof x === 'bigint' ? 0 : 1) - (typeof y === 'bigint' ? 0 : 1);
    const c = kinds !== 0 ? kinds : sign<bigint | string>(x, y);
    if (c !== 0) return c;
  }
  return sign(BigInt(a.pre.length), BigInt(b.pre.length));
}
