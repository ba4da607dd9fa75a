import { isUsableJobId, jobIdOf } from './job-ids';
import { JobName } from './queues';

describe('image import job ids', () => {
  const uid = '0f8fad5b-d9cb-469f-a165-70867728950e';

  it('are stream uid + the newest request id, usable by BullMQ', () => {
    const id = jobIdOf[JobName.ImportImageStream]({ streamUid: uid, requestIds: ['40', '41', '42'] });
    expect(id).toBe(`isi.${uid}.r42`);
    expect(isUsableJobId(id)).toBe(true);
    expect(jobIdOf[JobName.ImportImageStream]({ streamUid: uid, requestIds: ['40', '41', '42'] })).toBe(id);
  });
});
