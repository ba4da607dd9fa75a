import { acceptsGzip, GZIP_THRESHOLD_BYTES, shouldGzip } from './response-compression';

describe('acceptsGzip (kube-apiserver ContentEncodingSupported)', () => {
  it('takes a comma-separated token that is exactly gzip once trimmed', () => {
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('deflate ,  gzip ')).toBe(true);
  });

  it('does not read parameters, other cases, wildcards or lookalikes', () => {
    for (const header of [undefined, '', 'identity', 'gzip;q=1', 'gzip; q=0.5', 'GZIP', '*', 'x-gzip', 'gzipped']) expect(acceptsGzip(header)).toBe(false);
  });
});

describe('shouldGzip', () => {
  it('compresses what is larger than 128 KiB, not what is exactly that size', () => {
    expect(shouldGzip(GZIP_THRESHOLD_BYTES, 'gzip')).toBe(false);
    expect(shouldGzip(GZIP_THRESHOLD_BYTES + 1, 'gzip')).toBe(true);
    expect(shouldGzip(GZIP_THRESHOLD_BYTES + 1, undefined)).toBe(false);
  });
});
