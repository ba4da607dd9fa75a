import { validateImageStream } from '../imagestream/imagestream.validation';
import type { ImageStream, NamedTagEventList, TagReference } from '../imagestream/imagestream.types';
import { validateImageStreamTag, validateImageStreamTagUpdate } from '../istag/imagestreamtag.validation';
import type { ImageStreamTag } from '../istag/imagestreamtag.types';
import { addedStatusRefusals, importRefusals, specRefusals, specRepositories, statusReferenceRefusals, statusRepositories } from './allowed-registries.validation';
import { RegistryAllowList } from './registry-allow-list';

const allow = RegistryAllowList.fromConfig([{ domainName: 'quay.io' }, { domainName: '*.corp:5000', insecure: true }], 'registry.local:5000')!;
const shown = '"registry.local:5000", "quay.io:443", "*.corp:5000"';
const tag = (name: string, from: string, insecure = false): TagReference =>
  ({ name, from: { kind: 'DockerImage', name: from }, referencePolicy: { type: 'Source' }, importPolicy: { importMode: 'Legacy', insecure } }) as TagReference;
const stream = (spec: Partial<ImageStream['spec']>, annotations?: Record<string, string>): ImageStream => ({
  metadata: { name: 'app', namespace: 'ns', ...(annotations ? { annotations } : {}) },
  spec: { lookupPolicy: { local: false }, ...spec },
});

describe('ImageStream spec references', () => {
  it('forbids spec.dockerImageRepository and DockerImage from.name on other registries', () => {
    const s = stream({ dockerImageRepository: 'evil.io/a/b', tags: [tag('ok', 'quay.io/a/b:1'), tag('bad', 'docker.io/library/busybox:1'), tag('corp', 'git.corp:5000/x:1')] });
    expect(validateImageStream(s, { allow, insecureRepository: false })).toEqual([
      { type: 'FieldValueForbidden', field: 'spec.dockerImageRepository', detail: `registry "evil.io" not allowed by whitelist: ${shown}` },
      { type: 'FieldValueForbidden', field: 'spec.tags[bad].from.name', detail: `registry "docker.io" not allowed by whitelist: ${shown}` },
    ]);
  });

  it('checks nothing without a list, and leaves unparsable references to their own Invalid cause', () => {
    const s = stream({ dockerImageRepository: 'evil.io/a/b:tag', tags: [tag('bad', 'Evil.io/A')] });
    expect(validateImageStream(s).map((e) => e.type)).toEqual(['FieldValueInvalid', 'FieldValueInvalid']);
    expect(validateImageStream(s, { allow, insecureRepository: false }).map((e) => e.type)).toEqual(['FieldValueInvalid', 'FieldValueInvalid']);
  });

  it('reads an insecure reference on either default port (tag policy or stream annotation)', () => {
    const onlyPlain = RegistryAllowList.fromConfig([{ domainName: 'plain.io', insecure: true }], '')!;
    expect(validateImageStream(stream({ tags: [tag('t', 'plain.io/a:1')] }), { allow: onlyPlain, insecureRepository: false })).toHaveLength(1);
    expect(validateImageStream(stream({ tags: [tag('t', 'plain.io/a:1', true)] }), { allow: onlyPlain, insecureRepository: false })).toEqual([]);
    expect(validateImageStream(stream({ tags: [tag('t', 'plain.io/a:1')] }), { allow: onlyPlain, insecureRepository: true })).toEqual([]);
  });

  it('exempts repositories the old spec named (any tag of them)', () => {
    const old = stream({ dockerImageRepository: 'evil.io/a/b', tags: [tag('t', 'busybox:1')] });
    expect([...specRepositories(old)].sort()).toEqual(['docker.io/library/busybox', 'evil.io/a/b']);
    const next = stream({ dockerImageRepository: 'evil.io/a/b', tags: [tag('t', 'busybox:2'), tag('u', 'evil.io/other:1')] });
    expect(validateImageStream(next, { allow, insecureRepository: false, exempt: specRepositories(old) }).map((e) => e.field)).toEqual(['spec.tags[u].from.name']);
  });
});

describe('ImageStreamTag tag.from.name', () => {
  const ist = (from: string): ImageStreamTag => ({ metadata: { name: 'app:t', namespace: 'ns' }, tag: tag('t', from) }) as unknown as ImageStreamTag;
  it('is Forbidden at tag.from.name, except the old tag repository on update', () => {
    expect(validateImageStreamTag(ist('evil.io/a:1'), allow)).toEqual([
      { type: 'FieldValueForbidden', field: 'tag.from.name', detail: `registry "evil.io" not allowed by whitelist: ${shown}` },
    ]);
    expect(validateImageStreamTagUpdate(ist('evil.io/a:2'), ist('evil.io/a:1'), allow)).toEqual([]);
    expect(validateImageStreamTagUpdate(ist('evil.io/b:2'), ist('evil.io/a:1'), allow).map((e) => e.field)).toEqual(['tag.from.name']);
  });
});

describe('new status references', () => {
  const digest = 'sha256:01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b';
  const list = (t: string, ...refs: string[]): NamedTagEventList => ({ tag: t, items: refs.map((r) => ({ created: 'x', dockerImageReference: r, image: digest, generation: 1 })) });
  it('forbids a new reference at every item holding it, keeps ones already in the old status', () => {
    const s = stream({ tags: [] });
    const old = [list('a', `evil.io/x@${digest}`)];
    const next = [list('a', `evil.io/y@${digest}`, `evil.io/x@${digest}`), list('b', `evil.io/y@${digest}`)];
    expect(statusReferenceRefusals(allow, s, next, old)).toEqual([
      { type: 'FieldValueForbidden', field: 'status.tags[a].items[0].dockerImageReference', detail: `registry "evil.io" not allowed by whitelist: ${shown}` },
      { type: 'FieldValueForbidden', field: 'status.tags[b].items[0].dockerImageReference', detail: `registry "evil.io" not allowed by whitelist: ${shown}` },
    ]);
  });
});

describe('status items an import adds', () => {
  const ref = `git.corp/x@sha256:${'c'.repeat(64)}`;
  it('reads each item by its own tag: an alias without importPolicy.insecure is on 443', () => {
    // `*.corp` is an insecure entry (port 80): the imported tag (insecure) may use it, its alias (443) may not.
    const s = stream({ tags: [tag('v1', 'git.corp/x:1', true), { name: 'latest', from: { kind: 'ImageStreamTag', name: 'v1' } } as TagReference] });
    const items = [
      { tag: 'v1', index: 0, reference: ref },
      { tag: 'latest', index: 0, reference: ref },
    ];
    expect(addedStatusRefusals({ allow: RegistryAllowList.fromConfig([{ domainName: '*.corp', insecure: true }], '')!, insecureRepository: false }, s, items)).toEqual([
      { type: 'FieldValueForbidden', field: 'status.tags[latest].items[0].dockerImageReference', detail: 'registry "git.corp" not allowed by whitelist: "*.corp:80"' },
    ]);
  });

  it('lists refusals by tag, then item, and exempts repositories', () => {
    const s = stream({ tags: [] });
    const items = [
      { tag: 'b', index: 1, reference: `evil.io/a@sha256:${'d'.repeat(64)}` },
      { tag: 'b', index: 0, reference: `evil.io/a@sha256:${'e'.repeat(64)}` },
      { tag: 'a', index: 0, reference: `evil.io/z@sha256:${'e'.repeat(64)}` },
    ];
    expect(addedStatusRefusals({ allow, insecureRepository: false }, s, items).map((e) => e.field)).toEqual([
      'status.tags[a].items[0].dockerImageReference',
      'status.tags[b].items[0].dockerImageReference',
      'status.tags[b].items[1].dockerImageReference',
    ]);
    expect(addedStatusRefusals({ allow, insecureRepository: false, exempt: new Set(['evil.io/a']) }, s, items).map((e) => e.field)).toEqual([
      'status.tags[a].items[0].dockerImageReference',
    ]);
  });
});

describe('ImageStreamImport sources (users who may not create images)', () => {
  it('names each source as host:port, port by its own importPolicy.insecure', () => {
    const errors = importRefusals(allow, {
      images: [{ from: { kind: 'DockerImage', name: 'quay.io/a/b:1' } }, { from: { kind: 'DockerImage', name: 'busybox' } }, { from: { kind: 'DockerImage', name: 'quay.io/a/b:1' }, importPolicy: { insecure: true } }],
      repository: { from: { kind: 'DockerImage', name: 'docker.io/library/busybox' } },
    });
    expect(errors).toEqual([
      {
        type: 'FieldValueForbidden',
        field: 'spec.repository.from.name',
        detail: `importing images from registry "registry-1.docker.io:443" is forbidden: registry "registry-1.docker.io:443" not allowed by whitelist: ${shown}`,
      },
      { type: 'FieldValueForbidden', field: 'spec.images[1].from.name', detail: `importing images from registry "docker.io:443" is forbidden: registry "docker.io:443" not allowed by whitelist: ${shown}` },
      { type: 'FieldValueForbidden', field: 'spec.images[2].from.name', detail: `importing images from registry "quay.io:80" is forbidden: registry "quay.io:80" not allowed by whitelist: ${shown}` },
    ]);
  });
});

describe('update exemptions from the stream history', () => {
  it('lets the spec name repositories the history holds', () => {
    const history: NamedTagEventList[] = [{ tag: 'a', items: [{ created: 'x', dockerImageReference: 'evil.io/h/app@sha256:' + 'b'.repeat(64), image: 'i', generation: 1 }], conditions: [] }];
    expect([...statusRepositories(history)]).toEqual(['evil.io/h/app']);
    const next = stream({ tags: [tag('t', 'evil.io/h/app:2'), tag('u', 'evil.io/other:1')] });
    expect(specRefusals({ allow, insecureRepository: false, exempt: statusRepositories(history) }, next).map((e) => e.field)).toEqual(['spec.tags[u].from.name']);
  });
});
