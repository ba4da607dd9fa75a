import type { ImageStream, TagReference } from '../imagestream/imagestream.types';
import type { TagObservation } from './import-requests.repository';
import { tagsNeedingImport } from './tags-needing-import';

const digest = 'sha256:' + 'a'.repeat(64);

function tag(name: string, from: string, generation: number | null, extra: Partial<TagReference> = {}): TagReference {
  return { name, annotations: null, from: { kind: 'DockerImage', name: from }, generation, importPolicy: {}, referencePolicy: { type: 'Source' }, ...extra };
}

describe('tagsNeedingImport (openshift image stream controller)', () => {
  const stream: ImageStream = {
    metadata: { name: 's', generation: 3 },
    spec: {
      lookupPolicy: { local: false },
      tags: [
        tag('new', 'quay.io/a/b:1', 3),
        tag('seen', 'quay.io/a/b:2', 2),
        tag('failed', 'quay.io/a/b:3', 2),
        tag('unset', 'quay.io/a/b:4', null),
        tag('ref', 'quay.io/a/b:5', 3, { reference: true }),
        tag('other', 'quay.io/a/b:6', 3, { from: { kind: 'ImageStreamTag', name: 'x:y' } }),
        tag('sched', 'quay.io/a/b:7', 2, { importPolicy: { scheduled: true } }),
        tag('pinned', `quay.io/a/b@${digest}`, 2, { importPolicy: { scheduled: true } }),
        tag('pinned-failed', `quay.io/a/c@${digest}`, 2, { importPolicy: { scheduled: true } }),
      ],
    },
  };
  const observations = new Map<string, TagObservation>([
    ['new', { imported: 1, observed: 1 }],
    ['seen', { imported: 2, observed: 2 }],
    ['failed', { imported: 1, observed: 2 }],
    ['sched', { imported: 2, observed: 2 }],
    ['pinned', { imported: 2, observed: 2 }],
    ['pinned-failed', { imported: 0, observed: 2 }],
  ]);
  const names = (scheduled: boolean) => tagsNeedingImport(stream, observations, scheduled).map((t) => t.name);

  it('takes importable tags newer than their status, or without a generation', () => {
    expect(names(false)).toEqual(['new', 'unset']);
  });

  it('on a scheduled check also every scheduled tag, except a digest already imported at its generation', () => {
    expect(names(true)).toEqual(['new', 'unset', 'sched', 'pinned-failed']);
  });
});
