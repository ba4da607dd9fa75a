import { validateImageStream, validateTagReference } from './imagestream.validation';
import type { ImageStream } from './imagestream.types';
import { tagSourceFormErrors } from './tag-source-errors';
import type { TagReference } from './imagestream.types';

const tag = (kind: string, name: string): TagReference =>
  ({ name: 't', from: { kind, name }, referencePolicy: { type: 'Source' }, importPolicy: { importMode: 'Legacy' } }) as TagReference;

describe('from.name forms (upstream parseFromReference)', () => {
  it.each([
    ['ImageStreamImage', 'sha256:abc'],
    ['ImageStreamImage', 'app@sha256:abc'],
    ['ImageStreamTag', 'latest'],
    ['ImageStreamTag', 'app:latest'],
  ])('accepts %s %s', (kind, name) => {
    expect(validateTagReference(tag(kind, name), 'spec.tags[t]')).toEqual([]);
  });

  it.each([
    ['ImageStreamTag', 'a:b:c'],
    ['ImageStreamImage', 'a@b@sha256:abc'],
  ])('leaves %s %s to the strategy (tagSourceFormErrors)', (kind, name) => {
    expect(validateTagReference(tag(kind, name), 'spec.tags[t]')).toEqual([]);
    expect(tagSourceFormErrors([tag(kind, name)])).toEqual([
      expect.objectContaining({ field: 'spec.tags[t].from.name', detail: 'must be of the form <tag>, <repo>:<tag>, <id>, or <repo>@<id>' }),
    ]);
  });
});

describe('validateImageStream: one cause per bad name', () => {
  const stream = (name: string) => ({ metadata: { name, namespace: 'ns' }, spec: {} }) as ImageStream;
  it('leaves empty and path-unsafe names to the generic metadata checks', () => {
    expect(validateImageStream(stream(''))).toEqual([]);
    expect(validateImageStream(stream('a%b'))).toEqual([]);
    expect(validateImageStream(stream('..'))).toEqual([]);
  });
  it('reports the repository-name pattern otherwise', () => {
    expect(validateImageStream(stream('Bad'))).toEqual([expect.objectContaining({ field: 'metadata.name', detail: 'must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"' })]);
  });
});
