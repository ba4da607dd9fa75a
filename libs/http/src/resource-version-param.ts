import { ApiError } from '@app/api-machinery';

const maxUint64 = 18446744073709551615n;

/**
 * A `resourceVersion` query value as kube-apiserver's storage versioner parses it (strconv.ParseUint,
 * base 10, no sign): one that does not parse is refused with the versioner's field error wording,
 * `resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax`. kube-apiserver
 * answers that error as a 500 (kubernetes/kubernetes#101350, #139485); it is the client's mistake,
 * so it is a 400 here, as the fix proposed upstream answers it.
 */
export function checkResourceVersionParam(rv: string): void {
  const refuse = (why: string) => {
    throw ApiError.badRequest(`resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: ${why}`);
  };
  if (!/^\d+$/.test(rv)) refuse('invalid syntax');
  if (BigInt(rv) > maxUint64) refuse('value out of range');
}
