import { OutcomeRecorder } from './outcome-recorder';

describe('OutcomeRecorder', () => {
  it('writes the first outcome at once and groups those that arrive while a write runs', async () => {
    const writes: number[][] = [];
    let finish: () => void = () => undefined;
    const recorder = new OutcomeRecorder<number>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((r) => (finish = r));
    });
    recorder.add(1);
    expect(writes).toEqual([[1]]);
    recorder.add(2);
    recorder.add(3);
    finish();
    await recorder.drain();
    expect(writes).toEqual([[1], [2, 3]]);
  });

  it('stops after a failed write and drain rejects with its error', async () => {
    const recorder = new OutcomeRecorder<number>(async (items) => {
      if (items.includes(1)) throw new Error('db down');
    });
    recorder.add(1);
    recorder.add(2);
    await expect(recorder.drain()).rejects.toThrow('db down');
  });

  it('drain with nothing added resolves', async () => {
    await expect(new OutcomeRecorder<number>(async () => undefined).drain()).resolves.toBeUndefined();
  });
});
