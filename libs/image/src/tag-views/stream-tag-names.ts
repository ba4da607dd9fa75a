import { ApiError } from '@app/api-machinery';

/** `<stream>:<tag>`: exactly one `:`, no `@`, both parts non-empty (library-go ParseImageStreamTagName). */
export function splitStreamTag(name: string): { stream: string; tag: string } | null {
  if (name.includes('@')) return null;
  const parts = name.split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return null;
  return { stream: parts[0], tag: parts[1] };
}

/** `<stream>@<id>`: exactly one `@`, both parts non-empty (library-go ParseImageStreamImageName). */
export function splitStreamImage(name: string): { stream: string; id: string } | null {
  const parts = name.split('@');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return null;
  return { stream: parts[0], id: parts[1] };
}

/** Parses an istag/itag name or answers 400 with the upstream wording (`ImageStreamTags must be …`). */
export function parseStreamTagName(name: string, plural: 'ImageStreamTags' | 'ImageTags'): { stream: string; tag: string } {
  const parsed = splitStreamTag(name);
  if (!parsed) throw ApiError.badRequest(`${plural} must be retrieved with <name>:<tag>`);
  return parsed;
}

/**
 * The stream and tag of an istag/itag being created, split as upstream's create splits them
 * (library-go SplitImageStreamTag): at the first `:`, the rest being the tag (`latest` when
 * empty), so `a:b:c` adds tag `b:c` and `ruby:` adds `latest`, names a GET cannot take. A name
 * without `:` is reported as upstream's create words it, `"<name>" must be of the form
 * <stream_name>:<tag>` (answered there as a 500; here it is the client's mistake: 400); an empty
 * stream name is the stream store's 400 (`Name parameter required.`).
 */
export function parseNewStreamTagName(name: string): { stream: string; tag: string } {
  const colon = name.indexOf(':');
  if (colon < 0) throw ApiError.badRequest(`${JSON.stringify(name)} must be of the form <stream_name>:<tag>`);
  const stream = name.slice(0, colon);
  if (!stream) throw ApiError.badRequest('Name parameter required.');
  return { stream, tag: name.slice(colon + 1) || 'latest' };
}

/**
 * The name an istag/itag create uses: `metadata.name`, else `metadata.generateName` as given
 * (rest.BeforeCreate names the object with the strategy's GenerateName, which for these views
 * returns the base unchanged).
 */
export function nameForCreate(meta: { name?: string; generateName?: string }): string {
  return meta.name || meta.generateName || '';
}

/**
 * The tag part of a name being created, for defaulting before validation: what follows the
 * first `:`, `latest` when that is empty or there is none (library-go SplitImageStreamTag).
 */
export function tagForCreate(name: string): string {
  const colon = name.indexOf(':');
  return (colon < 0 ? '' : name.slice(colon + 1)) || 'latest';
}

export function parseStreamImageName(name: string): { stream: string; id: string } {
  const parsed = splitStreamImage(name);
  if (!parsed) throw ApiError.badRequest('ImageStreamImages must be retrieved with <name>@<id>');
  return parsed;
}
