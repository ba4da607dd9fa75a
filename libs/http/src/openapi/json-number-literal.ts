/**
 * A parsed number as its JSON literal most likely read, for the errors that quote it as Go's
 * decoder does (`cannot unmarshal number 1e30 into …`): whole numbers in full digits (2^63 as
 * 9223372036854775808, not JavaScript's 9223372036854776000), exponents without the `+`
 * JavaScript adds.
 */
export function jsonNumberLiteral(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return BigInt(value).toString();
  return String(value).replace('e+', 'e');
}
