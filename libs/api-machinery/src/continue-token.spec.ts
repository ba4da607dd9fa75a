import { decodeContinue, encodeContinue } from './continue-token';

describe('decodeContinue', () => {
  it('reads back what encodeContinue wrote', () => {
    const token = { rv: '12', listRv: '12', namespace: 'ns', name: 'a', exact: true as const };
    expect(decodeContinue(encodeContinue(token))).toEqual(token);
  });

  // kube's storage.ValidateListOptions: NewBadRequest("invalid continue token: " + DecodeContinue's error),
  // which wraps ErrGenericInvalidKey around base64's and encoding/json's errors.
  const b64 = (text: string) => Buffer.from(text).toString('base64url');
  it.each([
    // "garbage" decodes (base64url) to 0x81 0xaa …: Go's JSON scanner refuses the first byte.
    ['garbage', "invalid character '\\u0081' looking for beginning of value"],
    ['abc=', 'illegal base64 data at input byte 3'],
    ['a+b', 'illegal base64 data at input byte 1'],
    ['abcde', 'illegal base64 data at input byte 4'],
    [b64('{"v":1,'), 'unexpected end of JSON input'],
    [b64('[1]'), 'json: cannot unmarshal array into Go value of type storage.continueToken'],
    [b64('"x"'), 'json: cannot unmarshal string into Go value of type storage.continueToken'],
    [b64('null'), 'server does not recognize this encoded version '],
  ])('%j is 400 in kube\'s words', (raw, why) => {
    expect(() => decodeContinue(raw)).toThrow(expect.objectContaining({ code: 400, reason: 'BadRequest', message: `invalid continue token: continue key is not valid: ${why}` }));
  });
  it('an object that is no token of ours gets ErrGenericInvalidKey\'s text alone', () => {
    expect(() => decodeContinue(b64('{"v":"meta.k8s.io/v1","rv":5,"start":"a"}'))).toThrow(
      expect.objectContaining({ code: 400, message: 'invalid continue token: continue key is not valid' }),
    );
  });
});
