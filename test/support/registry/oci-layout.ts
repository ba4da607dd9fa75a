/**
 * Builds OCI image layouts (oci-layout, index.json, blobs/sha256/...) in TypeScript, without Docker,
 * for `skopeo copy oci:<dir>:<ref> docker://...`. Content is derived from a seed string only, so the
 * same spec always yields the same digests and different seeds yield different ones.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { digestOf, MediaTypes } from '@app/registry';
import { createTar } from './tar';

export interface OciImageSpec {
  /** Drives layer contents (and so every digest). */
  seed: string;
  architecture?: string;
  os?: string;
  variant?: string;
  /** Number of gzip'd tar layers, default 1. */
  layerCount?: number;
  env?: string[];
  cmd?: string[];
  entrypoint?: string[];
  labels?: Record<string, string>;
  user?: string;
  workingDir?: string;
  /** e.g. `['8080/tcp']`. */
  exposedPorts?: string[];
  /** e.g. `['/data']`. */
  volumes?: string[];
  /** RFC 3339; default 2024-01-01T00:00:00Z. */
  created?: string;
  /** The image manifest's `annotations` (e.g. OCI's base-image annotations). */
  annotations?: Record<string, string>;
  /** More keys for the config's `config` block, as written (any JSON, for decoding edge cases). */
  extraConfig?: Record<string, unknown>;
  /** More top-level keys of the config blob (or replacements: `{created: '0001-01-01T00:00:00Z'}`). */
  extraTopLevel?: Record<string, unknown>;
  /** The whole config blob, instead of the one built from the fields above. */
  rawConfig?: Buffer;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface BuiltLayer {
  digest: string;
  size: number;
  mediaType: string;
  /** sha256 of the uncompressed tar (what rootfs.diff_ids lists). */
  diffId: string;
}

export interface BuiltImage {
  manifestDigest: string;
  manifestSize: number;
  manifestMediaType: string;
  manifest: Buffer;
  configDigest: string;
  configSize: number;
  config: Buffer;
  /** Base layer first. */
  layers: BuiltLayer[];
  platform: Platform;
  /** The config's `config` block as written (Env, Cmd, Labels, ...). */
  imageConfig: Record<string, unknown>;
  created: string;
}

export interface BuiltIndex {
  indexDigest: string;
  indexSize: number;
  indexMediaType: string;
  index: Buffer;
  /** One per platform, in index order. */
  images: BuiltImage[];
}

const REF_NAME = 'org.opencontainers.image.ref.name';

interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
}

export class OciLayout {
  private constructor(
    readonly dir: string,
    private readonly owned: boolean,
  ) {}

  /** Creates an empty layout in `dir`, or in a fresh temp dir that remove() deletes. */
  static async create(dir?: string): Promise<OciLayout> {
    const target = dir ?? (await mkdtemp(join(tmpdir(), 'oci-layout-')));
    await mkdir(join(target, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(target, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const layout = new OciLayout(target, dir === undefined);
    await layout.writeIndex([]);
    return layout;
  }

  /** Adds one single-platform image under `ref` (replacing an earlier image of that ref). */
  async addImage(ref: string, spec: OciImageSpec): Promise<BuiltImage> {
    const image = await this.writeImage(spec);
    await this.setRef(ref, {
      mediaType: image.manifestMediaType,
      digest: image.manifestDigest,
      size: image.manifestSize,
    });
    return image;
  }

  /** Adds a multi-platform OCI index under `ref`: one image per spec, children unnamed. */
  async addIndex(ref: string, specs: readonly OciImageSpec[], options: { omitMediaType?: boolean } = {}): Promise<BuiltIndex> {
    const images: BuiltImage[] = [];
    for (const spec of specs) images.push(await this.writeImage(spec));
    const index = json({
      schemaVersion: 2,
      // optional in an OCI index (image-spec: SHOULD); distribution accepts an index without it
      ...(options.omitMediaType ? {} : { mediaType: MediaTypes.ociIndex }),
      manifests: images.map((i) => ({
        mediaType: i.manifestMediaType,
        digest: i.manifestDigest,
        size: i.manifestSize,
        platform: i.platform,
      })),
    });
    const indexDigest = await this.writeBlob(index);
    await this.setRef(ref, { mediaType: MediaTypes.ociIndex, digest: indexDigest, size: index.length });
    return { indexDigest, indexSize: index.length, indexMediaType: MediaTypes.ociIndex, index, images };
  }

  async remove(): Promise<void> {
    if (this.owned) await rm(this.dir, { recursive: true, force: true });
  }

  private async writeImage(spec: OciImageSpec): Promise<BuiltImage> {
    const platform: Platform = { architecture: spec.architecture ?? 'amd64', os: spec.os ?? 'linux' };
    if (spec.variant) platform.variant = spec.variant;
    const created = spec.created ?? '2024-01-01T00:00:00Z';

    const layers: BuiltLayer[] = [];
    for (let i = 0; i < (spec.layerCount ?? 1); i++) {
      const tar = layerTar(spec.seed, i, platform);
      const gz = gzipSync(tar, { level: 9 }); // zlib writes mtime 0: deterministic
      layers.push({
        digest: await this.writeBlob(gz),
        size: gz.length,
        mediaType: MediaTypes.ociLayerGzip,
        diffId: digestOf(tar),
      });
    }

    const imageConfig = withoutUndefined({
      User: spec.user,
      ExposedPorts: spec.exposedPorts ? Object.fromEntries(spec.exposedPorts.map((p) => [p, {}])) : undefined,
      Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Entrypoint: spec.entrypoint,
      Cmd: spec.cmd ?? ['/bin/sh'],
      WorkingDir: spec.workingDir,
      Volumes: spec.volumes ? Object.fromEntries(spec.volumes.map((v) => [v, {}])) : undefined,
      Labels: spec.labels ?? { 'test.seed': spec.seed },
      ...spec.extraConfig,
    });
    const config =
      spec.rawConfig ??
      json({
        created,
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant ? { variant: platform.variant } : {}),
        config: imageConfig,
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: layers.map((_, i) => ({
          created,
          created_by: `imagestreamd test layer ${i} (${spec.seed})`,
        })),
        ...spec.extraTopLevel,
      });
    const configDigest = await this.writeBlob(config);

    const manifest = json({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
    });
    const manifestDigest = await this.writeBlob(manifest);
    return {
      manifestDigest,
      manifestSize: manifest.length,
      manifestMediaType: MediaTypes.ociManifest,
      manifest,
      configDigest,
      configSize: config.length,
      config,
      layers,
      platform,
      imageConfig,
      created,
    };
  }

  private async writeBlob(content: Buffer): Promise<string> {
    const digest = digestOf(content);
    await writeFile(join(this.dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), content);
    return digest;
  }

  private async setRef(ref: string, descriptor: Omit<IndexEntry, 'annotations'>): Promise<void> {
    const current = JSON.parse(await readFile(join(this.dir, 'index.json'), 'utf8')) as {
      manifests: IndexEntry[];
    };
    const others = current.manifests.filter((m) => m.annotations[REF_NAME] !== ref);
    await this.writeIndex([...others, { ...descriptor, annotations: { [REF_NAME]: ref } }]);
  }

  private async writeIndex(manifests: IndexEntry[]): Promise<void> {
    await writeFile(
      join(this.dir, 'index.json'),
      json({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }),
    );
  }
}

/** A small filesystem whose bytes depend only on (seed, layer index, platform). */
function layerTar(seed: string, index: number, platform: Platform): Buffer {
  const platformName = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
  return createTar([
    { path: 'etc/' },
    { path: `etc/layer-${index}`, content: `seed=${seed}\nlayer=${index}\nplatform=${platformName}\n` },
    { path: 'opt/' },
    { path: `opt/data-${index}.txt`, content: `${seed}:${index}\n`.repeat(16) },
  ]);
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}
