import { ChangeNotifier } from './change-notifier';

describe('ChangeNotifier', () => {
  it('sends one NOTIFY per burst: kicks during a send are covered by exactly one more', async () => {
    const sent: (() => void)[] = [];
    const notifier = new ChangeNotifier(() => new Promise<void>((resolve) => sent.push(resolve)));
    notifier.kick();
    notifier.kick();
    notifier.kick();
    expect(sent).toHaveLength(1);
    sent[0]!();
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(2);
    sent[1]!();
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(2);
    notifier.kick();
    expect(sent).toHaveLength(3);
  });

  it('a failed send does not stop later ones', async () => {
    let calls = 0;
    const notifier = new ChangeNotifier(() => {
      calls++;
      return Promise.reject(new Error('connection lost'));
    });
    notifier.kick();
    await new Promise((r) => setImmediate(r));
    notifier.kick();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
  });
});
