import { sameStatus, statusAfterEvaluation, type TriggerOutcome } from './trigger-status';
import type { Trigger, TriggerStatus } from './trigger.types';

const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-01-02T00:00:00Z';
const from = { namespace: 'demo', stream: 'web', tag: 'latest' };
const image = { image: 'sha256:b', pullSpec: 'q/web@sha256:b', changeId: '7' };
const trigger = (generation: number, status: TriggerStatus = {}, paused = false): Trigger => ({
  metadata: { name: 't', namespace: 'demo', generation },
  spec: { from: { kind: 'ImageStreamTag', name: 'web:latest' }, target: { kind: 'Webhook', name: 't' }, delivery: { url: 'https://h/' }, paused },
  status,
});
const outcome = (o: Partial<TriggerOutcome>): TriggerOutcome => ({ tag: image, reason: 'UpToDate', fired: false, ...o });
const condition = (s: TriggerStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe('trigger status after an evaluation', () => {
  it('a paused trigger observes its generation and says it is paused', () => {
    const s = statusAfterEvaluation(trigger(2, { observedGeneration: 1 }, true), from, outcome({ reason: 'Paused' }), T0);
    expect(s.observedGeneration).toBe(2);
    expect(condition(s, 'Paused')).toMatchObject({ status: 'True', reason: 'Paused', lastTransitionTime: T0 });
  });

  it('a trigger on a tag without an image observes its generation and waits for an image', () => {
    const s = statusAfterEvaluation(trigger(1), from, outcome({ tag: null, reason: 'TagHasNoImage' }), T0);
    expect(s).toMatchObject({ observedGeneration: 1 });
    expect(condition(s, 'WaitingForImage')).toMatchObject({ status: 'True', reason: 'TagHasNoImage' });
    expect(s.lastTriggeredImageID).toBeUndefined();
  });

  it('unpausing without an image change observes the new generation and clears Paused', () => {
    const paused = statusAfterEvaluation(trigger(2, { lastTriggeredImageID: 'sha256:b', observedGeneration: 1 }, true), from, outcome({ reason: 'Paused' }), T0);
    const s = statusAfterEvaluation(trigger(3, paused), from, outcome({ reason: 'UpToDate' }), T1);
    expect(s.observedGeneration).toBe(3);
    expect(condition(s, 'Paused')).toMatchObject({ status: 'False', reason: 'Unpaused', lastTransitionTime: T1 });
    // Each condition names the generation it was set from (metav1.Condition observedGeneration).
    expect(condition(paused, 'Paused')).toMatchObject({ observedGeneration: 2 });
    expect(condition(s, 'Paused')).toMatchObject({ observedGeneration: 3 });
    expect(s.lastTriggeredImageID).toBe('sha256:b');
  });

  it('an evaluation that does not fire stamps every standing condition with the generation it observed (kubectl wait)', () => {
    // Fired at generation 1; a delivery was dead-lettered and redriven meanwhile.
    const fired = statusAfterEvaluation(trigger(1), from, outcome({ reason: 'ImageChanged', fired: true }), T0);
    fired.conditions = [...(fired.conditions ?? []), { type: 'DeadLettered', status: 'False', observedGeneration: 1, lastTransitionTime: T0, reason: 'Delivered', message: 'delivered' }];
    // A spec edit (headers, say) makes generation 2; its evaluation finds the tag at the image last triggered.
    const s = statusAfterEvaluation(trigger(2, fired), from, outcome({ reason: 'UpToDate' }), T1);
    expect(s.observedGeneration).toBe(2);
    for (const c of s.conditions ?? []) expect(c).toMatchObject({ observedGeneration: 2 });
    // Nothing flipped: the transition times stay.
    expect(condition(s, 'Triggered')).toMatchObject({ status: 'True', reason: 'ImageChanged', lastTransitionTime: T0 });
    expect(condition(s, 'DeadLettered')).toMatchObject({ status: 'False', lastTransitionTime: T0 });
  });

  it("leaves a condition type the service does not set at its writer's observedGeneration", () => {
    const fired = statusAfterEvaluation(trigger(1), from, outcome({ reason: 'ImageChanged', fired: true }), T0);
    // Written through /status by another controller at generation 1.
    fired.conditions = [...(fired.conditions ?? []), { type: 'BuildReady', status: 'True', observedGeneration: 1, lastTransitionTime: T0, reason: 'Built', message: 'built' }];
    const s = statusAfterEvaluation(trigger(2, fired), from, outcome({ reason: 'UpToDate' }), T1);
    expect(condition(s, 'BuildReady')).toEqual({ type: 'BuildReady', status: 'True', observedGeneration: 1, lastTransitionTime: T0, reason: 'Built', message: 'built' });
    expect(condition(s, 'Triggered')).toMatchObject({ observedGeneration: 2 });
  });

  it('a fire records the image, sets Triggered and ends WaitingForImage', () => {
    const waiting = statusAfterEvaluation(trigger(1), from, outcome({ tag: null, reason: 'TagHasNoImage' }), T0);
    const s = statusAfterEvaluation(trigger(1, waiting), from, outcome({ reason: 'ImageChanged', fired: true }), T1);
    expect(s).toMatchObject({ lastTriggeredImageID: 'sha256:b', lastTriggeredImage: 'q/web@sha256:b', lastTriggeredChangeID: '7', lastTriggeredTime: T1 });
    expect(condition(s, 'Triggered')).toMatchObject({ status: 'True', reason: 'ImageChanged' });
    expect(condition(s, 'WaitingForImage')).toMatchObject({ status: 'False', reason: 'ImageAvailable' });
  });

  it('an older image sets OlderImageIgnored with its message', () => {
    const s = statusAfterEvaluation(trigger(1, { observedGeneration: 1 }), from, outcome({ reason: 'OlderImageIgnored', stopMessage: 'older' }), T0);
    expect(condition(s, 'OlderImageIgnored')).toMatchObject({ status: 'True', message: 'older' });
  });

  it('OlderImageIgnored names the newest older image; its transition time stays while it holds', () => {
    const first = statusAfterEvaluation(trigger(1), from, outcome({ reason: 'OlderImageIgnored', stopMessage: 'not moving to sha256:a' }), T0);
    const s = statusAfterEvaluation(trigger(1, first), from, outcome({ reason: 'OlderImageIgnored', stopMessage: 'not moving to sha256:0' }), T1);
    expect(condition(s, 'OlderImageIgnored')).toMatchObject({ status: 'True', message: 'not moving to sha256:0', lastTransitionTime: T0 });
  });

  it.each([
    ['the tag back at the image last triggered', outcome({ reason: 'UpToDate' }), 'UpToDate'],
    ['the tag without an image', outcome({ tag: null, reason: 'TagHasNoImage' }), 'TagHasNoImage'],
    ['a pause', outcome({ reason: 'Paused' }), 'Paused'],
    ['a chain stop', outcome({ reason: 'ChainStopped', stopMessage: 'causation loop' }), 'ChainStopped'],
    ['a fire', outcome({ reason: 'ImageChanged', fired: true }), 'Fired'],
  ])('a later evaluation finding %s turns OlderImageIgnored False', (_, later, reason) => {
    const ignored = statusAfterEvaluation(trigger(1), from, outcome({ reason: 'OlderImageIgnored', stopMessage: 'not moving to sha256:a' }), T0);
    const s = statusAfterEvaluation(trigger(1, ignored), from, later, T1);
    const c = condition(s, 'OlderImageIgnored')!;
    expect(c).toMatchObject({ status: 'False', reason, lastTransitionTime: T1 });
    expect(c.message).not.toContain('sha256:a');
    // Evaluated again (a fire's repeated evaluation finds its delivery recorded), the False condition stays as it is: no write.
    const again = later.fired ? outcome({ reason: 'ImageChanged' }) : later;
    expect(sameStatus(s, statusAfterEvaluation(trigger(1, s), from, again, '2024-01-03T00:00:00Z'))).toBe(true);
  });

  it('a False OlderImageIgnored follows each later evaluation, not the fire that ended it', () => {
    const ignored = statusAfterEvaluation(trigger(1), from, outcome({ reason: 'OlderImageIgnored', stopMessage: 'not moving to sha256:a' }), T0);
    const fired = statusAfterEvaluation(trigger(1, ignored), from, outcome({ reason: 'ImageChanged', fired: true }), T1);
    const T2 = '2024-01-03T00:00:00Z';
    const next = { image: 'sha256:c', pullSpec: 'q/web@sha256:c', changeId: '9' };
    const s = statusAfterEvaluation(trigger(1, fired), from, outcome({ tag: next, reason: 'ImageChanged', fired: true }), T2);
    expect(condition(s, 'OlderImageIgnored')).toMatchObject({ status: 'False', reason: 'Fired', message: 'fired for sha256:c', lastTransitionTime: T1 });
    const upToDate = statusAfterEvaluation(trigger(1, s), from, outcome({ tag: next }), T2);
    expect(condition(upToDate, 'OlderImageIgnored')).toMatchObject({ status: 'False', reason: 'UpToDate', lastTransitionTime: T1 });
  });

  it('an older image after a chain stop turns ChainStopped False', () => {
    const stopped = statusAfterEvaluation(trigger(1), from, outcome({ reason: 'ChainStopped', stopMessage: 'causation loop' }), T0);
    const s = statusAfterEvaluation(trigger(1, stopped), from, outcome({ reason: 'OlderImageIgnored', stopMessage: 'older' }), T1);
    expect(condition(s, 'ChainStopped')).toMatchObject({ status: 'False', reason: 'OlderImageIgnored', lastTransitionTime: T1 });
    expect(condition(s, 'OlderImageIgnored')).toMatchObject({ status: 'True', message: 'older', lastTransitionTime: T1 });
  });

  it('a False standing condition keeps its transition time but follows the current image in its message', () => {
    const waiting = statusAfterEvaluation(trigger(1), from, outcome({ tag: null, reason: 'TagHasNoImage' }), T0);
    const first = statusAfterEvaluation(trigger(1, waiting), from, outcome({ reason: 'ImageChanged', fired: true }), T1);
    const later = { image: 'sha256:c', pullSpec: 'q/web@sha256:c', changeId: '8' };
    const T2 = '2024-01-03T00:00:00Z';
    const s = statusAfterEvaluation(trigger(1, first), from, outcome({ tag: later, reason: 'ImageChanged', fired: true }), T2);
    const before = condition(first, 'WaitingForImage')!;
    const after = condition(s, 'WaitingForImage')!;
    expect(after).toMatchObject({ status: 'False', lastTransitionTime: before.lastTransitionTime });
    expect(after.message).toContain('sha256:c');
    expect(after.message).not.toContain('sha256:b');
  });

  it('an up-to-date trigger whose generation was observed needs no write', () => {
    const prev: TriggerStatus = { lastTriggeredImageID: 'sha256:b', observedGeneration: 4 };
    expect(sameStatus(prev, statusAfterEvaluation(trigger(4, prev), from, outcome({}), T1))).toBe(true);
    // A repeated pause evaluation keeps the condition (and its time): no write either.
    const paused = statusAfterEvaluation(trigger(5, prev, true), from, outcome({ reason: 'Paused' }), T0);
    expect(sameStatus(paused, statusAfterEvaluation(trigger(5, paused, true), from, outcome({ reason: 'Paused' }), T1))).toBe(true);
  });
});
