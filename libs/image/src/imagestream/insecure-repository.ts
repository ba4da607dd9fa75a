/** The stream annotation that lets its references be read over plain HTTP (imports) and on port 80 (allowed registries). */
const insecureRepositoryAnnotation = 'openshift.io/image.insecureRepository';

/** Is the stream marked `openshift.io/image.insecureRepository: "true"`? */
export function isRepositoryInsecure(annotations: Record<string, string> | null | undefined): boolean {
  return annotations?.[insecureRepositoryAnnotation] === 'true';
}
