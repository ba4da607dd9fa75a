import { ApiError } from '@app/api-machinery';
import { outcomeWriteDeadline, writeOutcome } from './outcome-write';

describe('writeOutcome', () => {
  it('tries a write that storage refused again until it succeeds', async () => {
    let tries = 0;
    const write = () => (++tries < 3 ? Promise.reject(ApiError.unavailable('the storage backend is unavailable, please retry')) : Promise.resolve('ok'));
    await expect(writeOutcome(write, Date.now() + 5000)).resolves.toBe('ok');
    expect(tries).toBe(3);
  });

  it('gives up at the deadline with the last failure', async () => {
    let tries = 0;
    const write = () => {
      tries++;
      return Promise.reject(ApiError.timeout('a lock it needed was held'));
    };
    await expect(writeOutcome(write, Date.now() + 250)).rejects.toThrow('a lock it needed was held');
    expect(tries).toBeGreaterThan(1);
  });

  it('does not retry a failure that is not transient', async () => {
    let tries = 0;
    const write = () => {
      tries++;
      return Promise.reject(new Error('syntax error'));
    };
    await expect(writeOutcome(write, Date.now() + 5000)).rejects.toThrow('syntax error');
    expect(tries).toBe(1);
  });

  it('keeps inside the lease by the attempt bound', () => {
    expect(outcomeWriteDeadline(1000, 30000, 5000)).toBe(26000);
  });
});
