/**
 * Field-path validation errors in the shape of k8s.io/apimachinery/pkg/util/validation/field.
 * Validators return lists of these; the HTTP layer turns them into Status causes.
 */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueForbidden'
  | 'FieldValueNotFound'
  | 'FieldValueDuplicate'
  | 'FieldValueNotSupported'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError';

export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: unknown;
  detail?: string;
}

const typeLabel: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueForbidden: 'Forbidden',
  FieldValueNotFound: 'Not found',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
};

/** Types whose message shows the offending value, as upstream does. */
const showsValue = new Set<FieldErrorType>([
  'FieldValueInvalid',
  'FieldValueNotFound',
  'FieldValueDuplicate',
  'FieldValueNotSupported',
  'FieldValueTooMany',
]);

/** A value upstream prints unquoted (Go's %#v of a non-string, e.g. the uint64 `0x0`). */
export class VerbatimValue {
  constructor(readonly text: string) {}
}

function renderValue(value: unknown): string {
  if (value instanceof VerbatimValue) return value.text;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** "Invalid value: \"x\": detail" — the cause message without the field path. */
export function fieldErrorBody(e: FieldError): string {
  let msg = typeLabel[e.type];
  if (showsValue.has(e.type)) msg += `: ${renderValue(e.value)}`;
  if (e.detail) msg += `: ${e.detail}`;
  return msg;
}

/** "field: Invalid value: ..." — as aggregated into a Status message. */
export function fieldErrorString(e: FieldError): string {
  return e.field ? `${e.field}: ${fieldErrorBody(e)}` : fieldErrorBody(e);
}

export const fieldErr = {
  required: (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail }),
  invalid: (field: string, value: unknown, detail: string): FieldError => ({
    type: 'FieldValueInvalid',
    field,
    value,
    detail,
  }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail }),
  notFound: (field: string, value: unknown, detail = ''): FieldError => ({
    type: 'FieldValueNotFound',
    field,
    value,
    detail,
  }),
  duplicate: (field: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, value }),
  tooLong: (field: string, maxBytes: number): FieldError => ({ type: 'FieldValueTooLong', field, detail: `may not be more than ${maxBytes} bytes` }),
  /** A list longer than allowed (apimachinery field.TooMany): `Too many: 51: must have at most 50 items`. */
  tooMany: (field: string, actual: number, max: number): FieldError => ({ type: 'FieldValueTooMany', field, value: actual, detail: `must have at most ${max} items` }),
  notSupported: (field: string, value: unknown, valid: string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field,
    value,
    detail: `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}`,
  }),
};
