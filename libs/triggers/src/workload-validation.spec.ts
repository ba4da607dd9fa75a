import { validateWorkloadShape } from './workload-validation';

const at = (spec: unknown, path = 'spec.template.spec') => validateWorkloadShape(spec, path).map((e) => `${e.field} ${e.type}`);

describe('validateWorkloadShape', () => {
  it('accepts what kubectl create deployment / cronjob write, and no spec at all', () => {
    expect(at({ replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } })).toEqual([]);
    expect(at({ jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image: 'busybox' }] } } } } }, 'spec.jobTemplate.spec.template.spec')).toEqual([]);
    expect(at(undefined)).toEqual([]);
  });

  it('refuses the shapes the trigger controller could not patch', () => {
    expect(at('x')).toEqual(['spec FieldValueInvalid']);
    expect(at({ replicas: 'three' })).toEqual(['spec.replicas FieldValueInvalid']);
    expect(at({ template: 'x' })).toEqual(['spec.template FieldValueInvalid']);
    expect(at({ template: { spec: { containers: [null, { name: 'a', image: 5 }, { name: 'a' }, { image: 'x' }, { name: 'Bad_Name' }] } } })).toEqual([
      'spec.template.spec.containers[0] FieldValueInvalid',
      'spec.template.spec.containers[1].image FieldValueInvalid',
      'spec.template.spec.containers[2].name FieldValueDuplicate',
      'spec.template.spec.containers[3].name FieldValueRequired',
      'spec.template.spec.containers[4].name FieldValueInvalid',
    ]);
    expect(at({ template: { spec: { initContainers: {} } } })).toEqual(['spec.template.spec.initContainers FieldValueInvalid']);
  });
});
