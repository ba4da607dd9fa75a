import { isUsableJobId, jobIdOf } from './job-ids';
import { JobName } from './queues';

describe('image import job ids', () => {
  const uid = '0f8fad5b-d9cb-469f-a165-70867728950e';

  it('are stream uid + tag + generation (+ the request of a scheduled re-import), usable by BullMQ', () => {
    const id = jobIdOf[JobName.ImportSpecTag]({ streamUid: uid, tag: 'v1.2', generation: 3 });
    expect(id).toBe(`isi.${uid}.v1.2.g3`);
    expect(isUsableJobId(id)).toBe(true);
    expect(jobIdOf[JobName.ImportSpecTag]({ streamUid: uid, tag: 'v1.2', generation: 3, scheduledRequest: '42' })).toBe(`isi.${uid}.v1.2.g3.s42`);
  });

  it('escape tag names outside the job-id alphabet (tags are not validated server-side)', () => {
    const id = jobIdOf[JobName.ImportSpecTag]({ streamUid: uid, tag: 'a:b', generation: 1 });
    expect(id).toBe(`isi.${uid}.x${Buffer.from('a:b').toString('hex')}.g1`);
    expect(id).not.toContain(':');
  });
});
