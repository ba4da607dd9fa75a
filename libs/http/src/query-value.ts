/**
 * A query parameter's value. Given more than once, the first counts, as apimachinery converts
 * url.Values into options (Convert_Slice_string_To_string/_bool/_int64 read `in[0]`).
 */
export function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
