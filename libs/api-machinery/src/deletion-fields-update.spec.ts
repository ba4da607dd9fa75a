import { deletionFieldUpdateErrors } from './deletion-fields-update';
import { fieldErrorString } from './field-errors';

const messages = (next: object, old: object) => deletionFieldUpdateErrors(next, old).map(fieldErrorString);

describe('deletionFieldUpdateErrors (ValidateObjectMetaUpdate after BeforeUpdate)', () => {
  it('refuses setting the deletion fields on an object without them, the time as Go prints it', () => {
    expect(messages({ deletionTimestamp: '2020-01-01T00:00:00Z', deletionGracePeriodSeconds: 5 }, {})).toEqual([
      'metadata.deletionTimestamp: Invalid value: 2020-01-01 00:00:00 +0000 UTC: field is immutable',
      'metadata.deletionGracePeriodSeconds: Invalid value: 5: field is immutable',
    ]);
    expect(messages({ deletionTimestamp: '2020-01-01T02:00:00.5+02:00' }, {})).toEqual(['metadata.deletionTimestamp: Invalid value: 2020-01-01 00:00:00.5 +0000 UTC: field is immutable']);
  });

  it('accepts what was stored, and leaves a stored timestamp to BeforeUpdate; a changed grace period is refused', () => {
    const stored = { deletionTimestamp: '2020-01-01T00:00:00Z', deletionGracePeriodSeconds: 0 };
    expect(messages(stored, stored)).toEqual([]);
    expect(messages({}, stored)).toEqual([]);
    expect(messages({ deletionTimestamp: '2021-01-01T00:00:00Z' }, stored)).toEqual([]);
    expect(messages({ deletionGracePeriodSeconds: 30 }, stored)).toEqual(['metadata.deletionGracePeriodSeconds: Invalid value: 30: field is immutable']);
  });
});
