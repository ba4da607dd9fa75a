import { ApiError } from '@app/api-machinery';
import { RegistryNotFoundError, UnsupportedManifestError } from '@app/registry';
import { errorReason } from './error-reason';

describe('errorReason', () => {
  it.each<[string, unknown, string]>([
    ['a plain Error: the message alone', new Error('repository "lonely" is not of the form <namespace>/<name>'), 'repository "lonely" is not of the form <namespace>/<name>'],
    ['a subclass without its own name: the message alone', new (class extends Error {})('no stream'), 'no stream'],
    ['an ApiError: its message names the problem', ApiError.badRequest('bad name'), 'bad name'],
    ['a registry error keeps its class', new RegistryNotFoundError('manifest x not found', 'MANIFEST_UNKNOWN'), 'RegistryNotFoundError: manifest x not found'],
    ['an unsupported manifest keeps its class', new UnsupportedManifestError('schema1', 'application/vnd.docker.distribution.manifest.v1+json'), 'UnsupportedManifestError: schema1'],
    ['a TypeError keeps its class', new TypeError('x is undefined'), 'TypeError: x is undefined'],
    ['not an Error', 'boom', 'boom'],
    ['registry content quoted in it: NUL and lone surrogates as U+FFFD', new Error('history[0].created_by \u0000 \ud800 \ud83d\udc33'), 'history[0].created_by \uFFFD \uFFFD \ud83d\udc33'],
  ])('%s', (_name, error, reason) => {
    expect(errorReason(error)).toBe(reason);
  });
});
