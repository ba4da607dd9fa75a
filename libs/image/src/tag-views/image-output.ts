import { defaultImage } from '../image/image.strategy';
import type { Image } from '../image/image.types';

/**
 * An Image as served through a stream view (istag, itag, isimage): wire defaults filled, raw
 * manifest and config dropped, the spec tag's annotations merged over the image's own.
 */
export function imageForView(image: Image, tagAnnotations?: Record<string, string> | null): Image {
  const out = structuredClone(image);
  delete out.kind;
  delete out.apiVersion;
  defaultImage(out);
  delete out.dockerImageManifest;
  delete out.dockerImageConfig;
  if (tagAnnotations && Object.keys(tagAnnotations).length) {
    out.metadata = { ...out.metadata, annotations: { ...(out.metadata.annotations ?? {}), ...tagAnnotations } };
  }
  return out;
}

/**
 * The image of a view built without loading an Image (istag lists, an istag with no image yet):
 * only its name and pull spec are known, but the wire form still carries the metadata document
 * and version, as upstream's v1 conversion emits them for an empty Image.
 */
export function emptyImageForView(name: string, reference: string): Omit<Image, 'dockerImageReference'> & { dockerImageReference?: string } {
  const image: Image = { metadata: name ? { name } : {}, dockerImageReference: reference };
  defaultImage(image);
  // The Go field is omitempty: an image-less tag has no pull spec to show.
  const { dockerImageReference, ...rest } = image;
  return dockerImageReference ? image : rest;
}
