import type { AccessQuestion, RequestAccess } from '@app/config';
import { serviceCredentialRule } from './service-credentials';

/** A caller who may pull in `pullable` only, recording what it was asked. */
const caller = (pullable: string, asked: AccessQuestion[] = []): RequestAccess => ({
  user: 'u',
  can: (q) => {
    asked.push(q);
    return { allowed: q.subresource === 'layers' && q.verb === 'get' && q.namespace === pullable, reason: '' };
  },
});

describe('serviceCredentialRule (which configured-registry repositories the server`s login reads)', () => {
  it('access control off: every repository, without asking anyone', () => {
    const asked: AccessQuestion[] = [];
    const rule = serviceCredentialRule(false, 'a', caller('x', asked));
    expect(['a/x', 'b/private', 'single'].map(rule)).toEqual([true, true, true]);
    expect(asked).toEqual([]);
  });

  it('access control on: the importing namespace, or one the caller may pull from (get imagestreams/layers)', () => {
    const asked: AccessQuestion[] = [];
    const rule = serviceCredentialRule(true, 'a', caller('b', asked));
    expect(['a/x', 'b/private', 'c/other', 'single'].map(rule)).toEqual([true, true, false, false]);
    expect(asked).toContainEqual({ verb: 'get', group: 'image.openshift.io', resource: 'imagestreams', subresource: 'layers', namespace: 'b', name: 'private' });
  });

  it('access control on, no caller (background and scheduled imports): the importing namespace only', () => {
    const rule = serviceCredentialRule(true, 'a', undefined);
    expect(['a/x', 'b/private'].map(rule)).toEqual([true, false]);
  });
});
