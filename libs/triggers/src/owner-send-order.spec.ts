import { OwnerSendOrder } from './owner-send-order';

const tick = () => new Promise((r) => setImmediate(r));

describe('OwnerSendOrder', () => {
  it('lets a newer fire go only after the older one in flight ended', async () => {
    const order = new OwnerSendOrder();
    const older = await order.enter('t1', '5');
    expect(typeof older).toBe('function');
    let newerEntered = false;
    const newer = order.enter('t1', '7').then((r) => {
      newerEntered = true;
      return r;
    });
    await tick();
    expect(newerEntered).toBe(false);
    (older as () => void)();
    expect(typeof (await newer)).toBe('function');
  });

  it('refuses a fire older than one already started (in flight or ended)', async () => {
    const order = new OwnerSendOrder();
    const newer = await order.enter('t1', '9');
    const waiting = order.enter('t1', '4');
    (newer as () => void)();
    expect(await waiting).toBe('superseded');
    expect(await order.enter('t1', '8')).toBe('superseded');
    expect(typeof (await order.enter('t1', '10'))).toBe('function');
  });

  it('lets a retry the database already judged wait for the POST in flight without refusing it', async () => {
    const order = new OwnerSendOrder();
    const newer = await order.enter('t1', '9');
    const retry = order.enter('t1', '4', false);
    (newer as () => void)();
    const entered = await retry;
    expect(typeof entered).toBe('function');
    (entered as () => void)();
    // The newest started stays 9.
    expect(await order.enter('t1', '8')).toBe('superseded');
  });

  it('keeps owners apart and compares sequence numbers as numbers', async () => {
    const order = new OwnerSendOrder();
    const a = await order.enter('t1', '10');
    expect(typeof (await order.enter('t2', '9'))).toBe('function');
    (a as () => void)();
    expect(await order.enter('t1', '9')).toBe('superseded');
  });

  it('forgets the least recently started owners beyond its capacity', async () => {
    const order = new OwnerSendOrder(2);
    for (const owner of ['a', 'b', 'c']) ((await order.enter(owner, '5')) as () => void)();
    // a was forgotten: an older fire of it is sent; b and c are remembered.
    expect(typeof (await order.enter('a', '1'))).toBe('function');
    expect(await order.enter('c', '1')).toBe('superseded');
  });

  it('tells whether a newer fire of an owner started here, also after a retry entered', async () => {
    const order = new OwnerSendOrder();
    ((await order.enter('t1', '7')) as () => void)();
    const retry = (await order.enter('t1', '5', false)) as () => void;
    expect(order.newerStarted('t1', '5')).toBe(true);
    expect(order.newerStarted('t1', '7')).toBe(false);
    expect(order.newerStarted('t2', '1')).toBe(false);
    retry();
  });
});
