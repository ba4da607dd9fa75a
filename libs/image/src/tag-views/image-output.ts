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
