import { decideTagEvent } from './add-tag-event';

const ev = (ref: string, image: string, generation = 1) => ({ created: '2025-01-01T00:00:00Z', dockerImageReference: ref, image, generation });

describe('decideTagEvent (history dedupe)', () => {
  it.each([
    ['empty history → prepend', undefined, ev('r1', 'i1'), { kind: 'prepend' }],
    ['identical → nothing', ev('r1', 'i1'), ev('r1', 'i1'), { kind: 'none' }],
    ['generation differs → update', ev('r1', 'i1', 1), ev('r1', 'i1', 2), { kind: 'update', dockerImageReference: 'r1', image: 'i1', generation: 2 }],
    ['same reference → update image', ev('r1', 'i1'), ev('r1', 'i2'), { kind: 'update', dockerImageReference: 'r1', image: 'i2', generation: 1 }],
    ['same image → update reference', ev('r1', 'i1'), ev('r2', 'i1'), { kind: 'update', dockerImageReference: 'r2', image: 'i1', generation: 1 }],
    ['different → prepend', ev('r1', 'i1'), ev('r2', 'i2'), { kind: 'prepend' }],
  ])('%s', (_name, current, next, expected) => {
    expect(decideTagEvent(current, next)).toEqual(expected);
  });
});
