import { isUsableJobId, jobIdOf, registryEventJobId } from './job-ids';
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

describe('registry event job ids', () => {
  it('keep a UUID as it is', () => {
    const uuid = 'f308d38b-b684-4124-b3dc-7954e48b8784';
    expect(jobIdOf[JobName.ProcessRegistryEvent]({ eventId: uuid })).toBe(uuid);
  });

  it.each(['1', '12345', 'a:b', 'evt/1', 'with space', '-lead', 'é', 'x'.repeat(200)])(
    'map %j, which BullMQ would refuse or mangle, to a stable id BullMQ takes',
    (eventId) => {
      const id = registryEventJobId(eventId);
      expect(id).toMatch(/^_[0-9a-f]{64}$/);
      expect(registryEventJobId(eventId)).toBe(id);
      expect(`${parseInt(id, 10)}`).not.toBe(id);
      expect(id).not.toContain(':');
    },
  );

  it('never give two event ids one job id', () => {
    const ids = ['1', '01', '1 ', 'a:b', 'a_b', '_'.concat(registryEventJobId('1').slice(1))];
    expect(new Set(ids.map(registryEventJobId)).size).toBe(ids.length);
  });
});
