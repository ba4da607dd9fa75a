import type { ImageStream, TagEvent } from '../imagestream/imagestream.types';
import { resolveReferenceForTagEvent } from './resolve-reference';

const digest = `sha256:${'a'.repeat(64)}`;
const stream = (policy?: string): ImageStream => ({
  metadata: { name: 'ruby', namespace: 'demo' },
  spec: {
    lookupPolicy: { local: false },
    tags: [{ name: 'latest', annotations: null, generation: 1, importPolicy: {}, referencePolicy: { type: policy ?? 'Source' } }],
  },
});
const event = (image = digest): TagEvent => ({ created: '2025-01-01T00:00:00Z', dockerImageReference: `quay.io/x/ruby@${digest}`, image, generation: 1 });

describe('resolveReferenceForTagEvent (referencePolicy, reference §5.12)', () => {
  it.each([
    ['Source policy → the event reference', stream('Source'), 'latest', event(), 'registry.local:5000/demo/ruby', `quay.io/x/ruby@${digest}`],
    ['Local policy → <repository>@<image>', stream('Local'), 'latest', event(), 'registry.local:5000/demo/ruby', `registry.local:5000/demo/ruby@${digest}`],
    ['Local without a repository → the event reference', stream('Local'), 'latest', event(), '', `quay.io/x/ruby@${digest}`],
    ['Local without an image → the event reference', stream('Local'), 'latest', event(''), 'registry.local:5000/demo/ruby', `quay.io/x/ruby@${digest}`],
    ['Local with an unparsable repository → the event reference', stream('Local'), 'latest', event(), 'NOT VALID', `quay.io/x/ruby@${digest}`],
    ['no spec tag → the event reference', stream('Local'), 'pushed', event(), 'registry.local:5000/demo/ruby', `quay.io/x/ruby@${digest}`],
    ['no event → empty', stream('Local'), 'latest', undefined, 'registry.local:5000/demo/ruby', ''],
  ])('%s', (_name, s, tag, e, repository, expected) => {
    expect(resolveReferenceForTagEvent(s, tag, e, repository)).toBe(expected);
  });
});
