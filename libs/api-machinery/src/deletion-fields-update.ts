import { type FieldError, fieldErr, VerbatimValue } from './field-errors';
import type { ObjectMeta } from './object-meta.types';

/** Go's time.Time String() of an RFC 3339 timestamp, in UTC as the server decodes it (`2020-01-01 00:00:00 +0000 UTC`). */
function goTimeString(timestamp: string): string {
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) return timestamp;
  const iso = new Date(ms).toISOString(); // 2020-01-01T00:00:00.000Z
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''} +0000 UTC`;
}

/**
 * apimachinery's ValidateObjectMetaUpdate on the deletion fields, after kube-apiserver's
 * BeforeUpdate has kept a stored deletionTimestamp and a stored grace period the client left out:
 * an update may not set either on an object without them, nor change the grace period. Only a
 * delete sets them. The timestamp prints as metav1.Time's String() (a Stringer: unquoted).
 */
export function deletionFieldUpdateErrors(next: ObjectMeta, old: ObjectMeta): FieldError[] {
  const errors: FieldError[] = [];
  const timestamp = next.deletionTimestamp;
  if (typeof timestamp === 'string' && timestamp !== '' && !old.deletionTimestamp) {
    errors.push(fieldErr.invalid('metadata.deletionTimestamp', new VerbatimValue(goTimeString(timestamp)), 'field is immutable'));
  }
  const grace = next.deletionGracePeriodSeconds;
  if (grace !== undefined && grace !== null && grace !== old.deletionGracePeriodSeconds) {
    errors.push(fieldErr.invalid('metadata.deletionGracePeriodSeconds', grace, 'field is immutable'));
  }
  return errors;
}
