import { ApiError } from '@app/api-machinery';
import { nameForCreate, parseNewStreamTagName, parseStreamImageName, parseStreamTagName, splitStreamImage, splitStreamTag, tagForCreate } from './stream-tag-names';

describe('stream tag and stream image names', () => {
  it.each([
    ['ruby:latest', { stream: 'ruby', tag: 'latest' }],
    ['ruby:3.1-alpine', { stream: 'ruby', tag: '3.1-alpine' }],
    ['foo', null],
    ['a:b:c', null],
    ['a@b', null],
    ['a:b@c', null],
    [':b', null],
    ['a:', null],
    ['', null],
  ])('splitStreamTag(%j)', (name, expected) => {
    expect(splitStreamTag(name)).toEqual(expected);
  });

  it.each([
    ['ruby@sha256:abc', { stream: 'ruby', id: 'sha256:abc' }],
    ['ruby@abc', { stream: 'ruby', id: 'abc' }],
    ['ruby', null],
    ['a@b@c', null],
    ['@b', null],
    ['a@', null],
  ])('splitStreamImage(%j)', (name, expected) => {
    expect(splitStreamImage(name)).toEqual(expected);
  });

  it('answers 400 with the upstream wording per kind', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as ApiError;
      }
      throw new Error('no error');
    };
    expect(err(() => parseStreamTagName('foo', 'ImageStreamTags'))).toMatchObject({ code: 400, message: 'ImageStreamTags must be retrieved with <name>:<tag>' });
    expect(err(() => parseStreamTagName('a:b:c', 'ImageTags'))).toMatchObject({ code: 400, message: 'ImageTags must be retrieved with <name>:<tag>' });
    expect(err(() => parseNewStreamTagName('tag-c'))).toMatchObject({ code: 400, message: '"tag-c" must be of the form <stream_name>:<tag>' });
    expect(err(() => parseStreamImageName('ruby'))).toMatchObject({ code: 400, message: 'ImageStreamImages must be retrieved with <name>@<id>' });
  });

  it('names a created view by name, else generateName; its tag part as library-go SplitImageStreamTag gives it', () => {
    expect(nameForCreate({ name: 'a:b', generateName: 'c:d' })).toBe('a:b');
    expect(nameForCreate({ generateName: 'c:d' })).toBe('c:d');
    expect(nameForCreate({})).toBe('');
    expect(['a:b', 'a:b:c', 'a:', 'a', ''].map(tagForCreate)).toEqual(['b', 'b:c', 'latest', 'latest', 'latest']);
    expect(['a:b', 'a:b:c', 'a:', 'a:x@y'].map(parseNewStreamTagName)).toEqual([
      { stream: 'a', tag: 'b' },
      { stream: 'a', tag: 'b:c' },
      { stream: 'a', tag: 'latest' },
      { stream: 'a', tag: 'x@y' },
    ]);
  });
});
