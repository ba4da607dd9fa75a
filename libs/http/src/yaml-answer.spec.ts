import { load } from 'js-yaml';
import { goYamlKeyOrder, toYaml } from './yaml-answer';

describe('toYaml', () => {
  it('writes keys in go-yaml order, list items at their key\'s indent, and quotes in double quotes', () => {
    const body = { metadata: { name: 'a', labels: { b: '1' } }, kind: 'ImageStream', apiVersion: 'image.openshift.io/v1', spec: { tags: [{ name: 'v1' }] } };
    expect(toYaml(body)).toBe(
      [
        'apiVersion: image.openshift.io/v1',
        'kind: ImageStream',
        'metadata:',
        '  labels:',
        '    b: "1"',
        '  name: a',
        'spec:',
        '  tags:',
        '  - name: v1',
        '',
      ].join('\n'),
    );
    expect(load(toYaml(body))).toEqual(body);
  });

  it('orders as go-yaml: a non-letter before a letter, digit runs by value, letters by code point', () => {
    expect(['b', '_a', 'a10', 'a9', 'B', 'a'].sort(goYamlKeyOrder)).toEqual(['_a', 'B', 'a', 'a9', 'a10', 'b']);
  });
});
