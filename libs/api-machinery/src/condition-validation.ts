import { type FieldError, fieldErr } from './field-errors';
import { regexError, validateQualifiedName } from './name-validation';

const conditionStatuses = ['False', 'True', 'Unknown'];
const reasonPattern = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const reasonError = regexError(
  "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'",
  '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?',
  'my_name',
  'MY_NAME',
  'MyName',
  'ReasonA,ReasonB',
  'ReasonA:ReasonB',
);
const maxReasonBytes = 1024;
const maxMessageBytes = 32 * 1024;

/**
 * A list of metav1.Condition as apimachinery's ValidateConditions checks it: each type once and a
 * qualified name, status True/False/Unknown, observedGeneration not negative, lastTransitionTime
 * and reason set, reason in CamelCase form, reason and message within their lengths.
 */
export function validateConditions(conditions: unknown, field: string): FieldError[] {
  if (conditions === undefined || conditions === null) return [];
  if (!Array.isArray(conditions)) return [fieldErr.invalid(field, conditions, 'must be a list of conditions')];
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  conditions.forEach((c: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) {
      errors.push(fieldErr.invalid(at, c, 'must be a condition object'));
      return;
    }
    const { type, status, observedGeneration, lastTransitionTime, reason, message } = c as Record<string, unknown>;
    const typeText = typeof type === 'string' ? type : '';
    if (seen.has(typeText)) errors.push(fieldErr.duplicate(`${at}.type`, typeText));
    seen.add(typeText);
    errors.push(...validateQualifiedName(typeText, `${at}.type`));
    if (typeof status !== 'string' || !conditionStatuses.includes(status)) errors.push(fieldErr.notSupported(`${at}.status`, status ?? '', conditionStatuses));
    if (observedGeneration !== undefined && (typeof observedGeneration !== 'number' || !Number.isInteger(observedGeneration) || observedGeneration < 0)) {
      errors.push(fieldErr.invalid(`${at}.observedGeneration`, observedGeneration, 'must be greater than or equal to zero'));
    }
    if (lastTransitionTime === undefined || lastTransitionTime === null || lastTransitionTime === '') errors.push(fieldErr.required(`${at}.lastTransitionTime`, 'must be set'));
    else if (typeof lastTransitionTime !== 'string' || Number.isNaN(Date.parse(lastTransitionTime))) {
      errors.push(fieldErr.invalid(`${at}.lastTransitionTime`, lastTransitionTime, 'must be an RFC 3339 time'));
    }
    if (reason === undefined || reason === null || reason === '') errors.push(fieldErr.required(`${at}.reason`, 'must be set'));
    else if (typeof reason !== 'string') errors.push(fieldErr.invalid(`${at}.reason`, reason, reasonError));
    else {
      if (!reasonPattern.test(reason)) errors.push(fieldErr.invalid(`${at}.reason`, reason, reasonError));
      if (Buffer.byteLength(reason) > maxReasonBytes) errors.push(fieldErr.tooLong(`${at}.reason`, maxReasonBytes));
    }
    if (message !== undefined && message !== null && typeof message !== 'string') errors.push(fieldErr.invalid(`${at}.message`, message, 'must be a string'));
    else if (typeof message === 'string' && Buffer.byteLength(message) > maxMessageBytes) errors.push(fieldErr.tooLong(`${at}.message`, maxMessageBytes));
  });
  return errors;
}
