import type { ImageStream } from '../imagestream/imagestream.types';
import { dockerRepositoryCheckAnnotation, planStreamImport, type TagImport, type TagStatusState } from './stream-import-plan';

const digest = `sha256:${'a'.repeat(64)}`;
const noStatus = (): TagStatusState => ({ tops: new Map(), conditions: new Map() });

function stream(annotations?: Record<string, string>, tags?: ImageStream['spec']['tags']): ImageStream {
  return {
    metadata: { name: 's', namespace: 'ns', generation: 3, ...(annotations ? { annotations } : {}) },
    spec: { lookupPolicy: { local: false }, ...(tags ? { tags } : {}) },
  };
}

function success(tag: string): TagImport {
  return {
    tag,
    from: `registry.example/ns/app:${tag}`,
    importPolicy: {},
    referencePolicy: { type: 'Source' },
    specTagOnFailure: true,
    result: {
      status: { metadata: {}, status: 'Success' },
      image: { metadata: { name: digest }, dockerImageReference: `registry.example/ns/app@${digest}` },
    },
  };
}

describe('planStreamImport', () => {
  it('an import that adds no tag to a checked stream without spec tags changes nothing (absent tags equal empty ones)', () => {
    const checked = stream({ [dockerRepositoryCheckAnnotation]: '2026-01-01T00:00:00Z' });
    const plan = planStreamImport(checked, [], noStatus(), '2026-01-01T00:00:09Z');
    expect(plan.writes).toEqual([]);
    expect(plan.next.metadata.annotations).toEqual({ [dockerRepositoryCheckAnnotation]: '2026-01-01T00:00:00Z' });
    expect(plan.next.spec.tags).toBeUndefined();
  });

  it('a stream never checked gets the check time even when the import adds nothing', () => {
    const plan = planStreamImport(stream(), [], noStatus(), '2026-01-01T00:00:09Z');
    expect(plan.writes).toEqual([]);
    expect(plan.next.metadata.annotations?.[dockerRepositoryCheckAnnotation]).toBe('2026-01-01T00:00:09Z');
  });

  it('a successful tag import adds a spec tag, a tag event of the next generation and a new check time', () => {
    const checked = stream({ [dockerRepositoryCheckAnnotation]: '2026-01-01T00:00:00Z' }, []);
    const plan = planStreamImport(checked, [success('v1')], noStatus(), '2026-01-01T00:00:09Z');
    expect(plan.next.spec.tags?.map((t) => [t.name, t.from?.name, t.generation])).toEqual([['v1', 'registry.example/ns/app:v1', 0]]);
    expect(plan.writes).toEqual([
      { kind: 'event', tag: 'v1', top: undefined, event: { created: '2026-01-01T00:00:09Z', dockerImageReference: `registry.example/ns/app@${digest}`, image: digest, generation: 4 } },
    ]);
    expect(plan.next.metadata.annotations?.[dockerRepositoryCheckAnnotation]).toBe('2026-01-01T00:00:09Z');
  });
});
