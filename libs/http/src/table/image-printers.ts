import type { ObjectMeta } from '@app/api-machinery';
import type { Image, ImageStream, ImageStreamImage, ImageStreamTag, ImageTag, NamedTagEventList } from '@app/image';
import { ago } from './human-duration';
import { column, type TablePrinter } from './table.types';

/** Column descriptions are upstream's: the API field docs (SwaggerDoc) the columns show. */
const nameColumn = column(
  'Name',
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  { format: 'name' },
);
const updatedColumn = column('Updated', 'Last update time.');
const imageReferenceDoc = 'dockerImageReference is the string that can be used to pull this image.';

/**
 * Status tags newest first (by their current entry, to the second), then by name; tags without
 * history last (openshift SortStatusTags).
 */
export function sortStatusTags(tags: NamedTagEventList[]): string[] {
  const created = (t: NamedTagEventList) => {
    const at = t.items?.[0]?.created;
    const ms = at ? Date.parse(at) : NaN;
    return Number.isNaN(ms) ? 0 : Math.round(ms / 1000);
  };
  return [...tags]
    .sort((a, b) => created(b) - created(a) || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))
    .map((t) => t.tag);
}

/**
 * As many tag names as fit in about `width` characters, newest first, always at least one; the
 * rest as "+ N more..." (openshift printTagsUpToWidth).
 */
export function tagsUpToWidth(statusTags: NamedTagEventList[], width: number): string {
  const sorted = sortStatusTags(statusTags);
  let shown = sorted;
  let remaining = width;
  for (let i = 0; i < sorted.length; i++) {
    const tag = sorted[i]!;
    remaining -= tag.length + 1;
    if (remaining >= 0) continue;
    if (i === 0) {
      shown = sorted.slice(0, 1);
      break;
    }
    // Allow a slightly ragged edge rather than leaving a quarter of the width empty.
    const margin = Math.trunc(width / 4);
    if (margin < remaining + tag.length && margin >= -remaining) continue;
    shown = sorted.slice(0, i);
    break;
  }
  const hidden = statusTags.length - shown.length;
  return hidden > 0 ? `${shown.join(',')} + ${hidden} more...` : shown.join(',');
}

const imageStreamPrinter: TablePrinter = {
  columns: [nameColumn, column(
      'Image Repository',
      'dockerImageRepository represents the effective location this stream may be accessed at. May be empty until the server determines where the repository is located',
    ), column('Tags', 'Human readable list of tags.'), updatedColumn],
  cells(obj, now) {
    const is = obj as unknown as ImageStream;
    const tags = is.status?.tags ?? [];
    let latest = '';
    for (const t of tags) {
      const at = t.items?.[0]?.created;
      if (at && (!latest || Date.parse(at) > Date.parse(latest))) latest = at;
    }
    const repo = is.status?.publicDockerImageRepository || is.spec?.dockerImageRepository || is.status?.dockerImageRepository || '';
    return [is.metadata.name ?? '', repo, tagsUpToWidth(tags, 40), ago(latest, now)];
  },
};

const imageStreamTagPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column('Image Reference', imageReferenceDoc),
    updatedColumn,
    column('Image Name', 'image associated with the ImageStream and tag.', { priority: 1 }),
  ],
  cells(obj, now) {
    const ist = obj as unknown as ImageStreamTag;
    return [ist.metadata.name, ist.image?.dockerImageReference ?? '', ago(ist.metadata.creationTimestamp, now), ist.image?.metadata?.name ?? ''];
  },
};

/** The Spec/Status/History/Updated summary of an ImageTag (openshift printImageTag). */
export function imageTagCells(itag: ImageTag, now: Date): unknown[] {
  let generation = 0;
  let source = '';
  let status = '';
  let updated = '';
  let count = 0;
  let spec = '';
  if (itag.spec) {
    spec = itag.spec.reference ? 'Ref' : 'Tag';
    if (itag.spec.importPolicy?.scheduled) spec = 'Scheduled';
    generation = itag.spec.generation ?? 0;
    const from = itag.spec.from;
    if (from) {
      switch (from.kind ?? '') {
        case 'DockerImage':
          source = from.name ?? '';
          break;
        case 'ImageStreamImage': {
          // Upstream's SplitImageStreamImage: anything after the first `@` is the id.
          const at = (from.name ?? '').indexOf('@');
          if (at >= 0) source = `image/${from.name!.slice(at + 1)}`;
          else status = 'InvalidRefName';
          break;
        }
        case 'ImageStreamTag':
          source = from.namespace ? `istag ${from.namespace}/${from.name}` : `istag/${from.name}`;
          // A bare tag (no `:`) tracks another tag of the same stream.
          if (!(from.name ?? '').includes(':')) spec = 'Track';
          break;
        default:
          status = 'InvalidRefKind';
      }
    } else {
      spec = '';
    }
  }
  if (itag.status) {
    const items = itag.status.items ?? [];
    count = items.length;
    let last = 0;
    const event = items[0];
    if (event) {
      last = Date.parse(event.created) || 0;
      if (generation > 0 && event.generation > 0 && event.generation < generation) status = 'Importing';
      else if (event.image) source = `image/${event.image}`;
      else if (event.dockerImageReference) source = event.dockerImageReference;
      if (source && !spec) spec = 'Push';
      else if (spec !== 'Track' && generation > 0 && event.generation > 0 && event.generation > generation) spec = 'Push';
    }
    for (const c of itag.status.conditions ?? []) {
      if (c.type === 'ImportSuccess' && c.status === 'False') status = `ImportFailed (${c.reason ?? ''})`;
      const at = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
      if (at > last) last = at;
    }
    if (last) updated = ago(new Date(last).toISOString(), now);
  }
  if (!status) status = source;
  return [itag.metadata.name, spec, status, count > 0 ? count : null, updated];
}

const imageTagPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column('Spec', 'spec is the spec tag associated with this image stream tag, and it may be null if only pushes have occurred to this image stream.'),
    column('Status', 'status is the status tag details associated with this image stream tag, and it may be null if no push or import has been performed.'),
    column('History', 'Number of history entries', { type: 'number' }),
    column('Updated', 'Last updated at'),
  ],
  cells: (obj, now) => imageTagCells(obj as unknown as ImageTag, now),
};

const imagePrinter: TablePrinter = {
  columns: [nameColumn, column('Image Reference', imageReferenceDoc)],
  cells(obj) {
    const image = obj as unknown as Image;
    return [image.metadata.name ?? '', image.dockerImageReference ?? ''];
  },
};

const imageStreamImagePrinter: TablePrinter = {
  columns: [
    nameColumn,
    updatedColumn,
    column('Image Reference', imageReferenceDoc, { priority: 1 }),
    column('Image Name', 'image associated with the ImageStream and image name.', { priority: 1 }),
  ],
  cells(obj, now) {
    const isi = obj as unknown as ImageStreamImage;
    return [isi.metadata.name, ago(isi.metadata.creationTimestamp, now), isi.image?.dockerImageReference ?? '', isi.image?.metadata?.name ?? ''];
  },
};

/** What kube-apiserver prints for kinds without their own columns. */
export const defaultPrinter: TablePrinter = {
  columns: [nameColumn, column('Created At', 'The time the object was created.', { type: 'date' })],
  cells(obj) {
    const meta: ObjectMeta = obj.metadata ?? {};
    return [meta.name ?? '', meta.creationTimestamp ?? ''];
  },
};

/** `oc get` columns of the image.openshift.io kinds, by `<group>/<resource>`. */
export const imagePrinters: Record<string, TablePrinter> = {
  'image.openshift.io/imagestreams': imageStreamPrinter,
  'image.openshift.io/imagestreamtags': imageStreamTagPrinter,
  'image.openshift.io/imagetags': imageTagPrinter,
  'image.openshift.io/images': imagePrinter,
  'image.openshift.io/imagestreamimages': imageStreamImagePrinter,
};
