import { answerJson, shareAnswer } from './shared-answer';

describe('shared answers', () => {
  it('are frozen deeply and answer the JSON of what they hold, made once', () => {
    const view = shareAnswer({ kind: 'ImageStreamTag', image: { metadata: { name: 'sha256:1' } }, tags: [{ name: 'a' }] });
    expect(Object.isFrozen(view.image.metadata)).toBe(true);
    expect(() => (view.tags as { name: string }[]).push({ name: 'b' })).toThrow(TypeError);
    const first = answerJson(view);
    expect(first).toBe(JSON.stringify(view));
    const spy = jest.spyOn(JSON, 'stringify');
    try {
      expect(answerJson(view)).toBe(first);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('other bodies, frozen or not, are serialised each time as they are then', () => {
    const body: { items: number[] } = { items: [1] };
    expect(answerJson(body)).toBe('{"items":[1]}');
    body.items.push(2);
    expect(answerJson(body)).toBe('{"items":[1,2]}');
    const frozenTop = Object.freeze({ items: [1] });
    expect(answerJson(frozenTop)).toBe('{"items":[1]}');
    frozenTop.items.push(2);
    expect(answerJson(frozenTop)).toBe('{"items":[1,2]}');
  });
});
