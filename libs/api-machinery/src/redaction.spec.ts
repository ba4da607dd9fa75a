import { withoutUserinfo } from './redaction';

describe('withoutUserinfo', () => {
  it.each([
    ['https://robot:pw@registry:5000/v2/', 'https://<redacted>@registry:5000/v2/'],
    ['postgres://app:pa#ss/w@rd@db/x', 'postgres://<redacted>@db/x'],
    ['robot:pw@host', '<redacted>@host'],
    ['https://registry:5000/v2/', 'https://registry:5000/v2/'],
  ])('%s → %s', (url, shown) => {
    expect(withoutUserinfo(url)).toBe(shown);
  });
});
