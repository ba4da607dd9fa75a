import { randomUUID } from 'node:crypto';
import {
  ApiError,
  decodeTypedBody,
  type DeleteOptions,
  nowTimestamp,
  refOf,
  successStatus,
  type WriteOptions,
  type WriteResult,
} from '@app/api-machinery';
import type { GenericStore, ResourceHandler } from '@app/persistence';
import type { Image, ImageSignature } from '../image/image.types';
import { IMAGE_GROUP, imageSignaturesInfo } from '../resources/resource-infos';
import { splitImageSignatureName, validateImageSignature } from './imagesignature.validation';

/** Same signature blob: compared as bytes, so two base64 spellings of one blob are equal. */
function sameContent(a: string, b: string): boolean {
  return Buffer.from(a ?? '', 'base64').equals(Buffer.from(b ?? '', 'base64'));
}

/**
 * `imagesignatures` (openshift-apiserver registry/imagesignature/rest.go): adds a signature to an
 * Image or removes one, through the Image store (Image strategy and validation, resourceVersion,
 * an Image MODIFIED event). Create and delete only; signatures are read on the Image.
 */
export class ImageSignatureHandler implements ResourceHandler {
  readonly info = imageSignaturesInfo;
  private readonly ref = refOf(imageSignaturesInfo);
  /** Upstream spells the resource `imageSignatures` in its AlreadyExists/NotFound answers. */
  private readonly upstreamRef = { group: IMAGE_GROUP, resource: 'imageSignatures' };

  constructor(private readonly images: GenericStore<Image>) {}

  private decode(body: unknown): ImageSignature {
    const signature = decodeTypedBody<ImageSignature>(body, this.info.kind, 'image.openshift.io/v1');
    delete signature.kind;
    delete signature.apiVersion;
    return signature;
  }

  /** What the server owns on a new signature: system metadata set, verification results cleared. */
  private prepareForCreate(signature: ImageSignature): void {
    const meta = signature.metadata!;
    // rest.BeforeCreate names it with the strategy's GenerateName, which for signatures returns the base as given.
    if (!meta.name && typeof meta.generateName === 'string') meta.name = meta.generateName;
    delete meta.namespace;
    delete meta.resourceVersion;
    delete meta.generation;
    meta.uid = randomUUID();
    meta.creationTimestamp = nowTimestamp();
    delete signature.conditions;
    delete signature.imageIdentity;
    delete signature.signedClaims;
    delete signature.created;
    delete signature.issuedBy;
    delete signature.issuedTo;
  }

  /** 201 with the stored signature; 404 without the Image; 409 when its name or (type, content) is taken. */
  async create(_namespace: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    const signature = this.decode(body);
    this.prepareForCreate(signature);
    const name = signature.metadata!.name ?? '';
    const errors = validateImageSignature(signature);
    if (errors.length) throw ApiError.invalid(this.ref, name, errors);
    const { image } = splitImageSignatureName(name)!;
    const stored = await this.images.mutate(
      '',
      image,
      async (current) => {
        const signatures = current.signatures ?? [];
        const taken = signatures.some((s) => s.metadata?.name === name || (s.type === signature.type && sameContent(s.content, signature.content)));
        if (taken) throw ApiError.alreadyExists(this.upstreamRef, name);
        return { next: { ...current, signatures: [...signatures, signature] } };
      },
      async (_tx, written) => written.signatures?.find((s) => s.metadata?.name === name),
      options,
    );
    if (!stored) throw ApiError.internal('failed to store given signature');
    return { code: 201, body: { kind: this.info.kind, apiVersion: 'image.openshift.io/v1', ...stored } };
  }

  /** Removes the named signature from its Image; 404 when either is missing. */
  async delete(_namespace: string, name: string, options: DeleteOptions): Promise<WriteResult> {
    const parts = splitImageSignatureName(name);
    if (!parts) throw ApiError.badRequest('ImageSignatures must be accessed with <imageName>@<signatureName>');
    await this.images.mutate(
      '',
      parts.image,
      async (current) => {
        const signatures = current.signatures ?? [];
        const kept = signatures.filter((s) => s.metadata?.name !== name);
        if (kept.length === signatures.length) throw ApiError.notFound(this.upstreamRef, name);
        const next: Image = { ...current, signatures: kept };
        if (!kept.length) delete next.signatures;
        return { next };
      },
      async () => undefined,
      options,
    );
    return { code: 200, body: successStatus() };
  }
}
