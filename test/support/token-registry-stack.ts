import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '@app/config';
import { parseAccessPolicy } from '@app/config';
import { startTestApi, type TestApi } from './api-server';
import { OciLayout, type RunningRegistry, startRegistry } from './registry';
import { makeTokenSigner } from './token-signer';

/** An api serving `/registry/token` and a docker-registry using it as its token realm. */
export interface TokenRegistryStack {
  api: TestApi;
  registry: RunningRegistry;
  /** An OCI layout holding the image `v1`, to push. */
  layout: OciLayout;
  /** A scratch directory, holding the signer's `<signer>.key` and `.crt`. */
  dir: string;
  /** The signer's certificate: the registry's rootcertbundle. */
  cert: string;
  close(): Promise<void>;
}

export interface TokenRegistryOptions {
  policy: string;
  service: string;
  issuer: string;
  /** Seeds the `v1` image, so each file pushes its own digests. */
  seed: string;
  signer?: string;
  ttlSeconds?: number;
  /** More api configuration (API authentication and authorization, say). */
  api?: Partial<AppConfig>;
}

/** Starts the stack; `close` stops everything it started and removes its directory. */
export async function startTokenRegistryStack(o: TokenRegistryOptions): Promise<TokenRegistryStack> {
  const dir = await mkdtemp(join(tmpdir(), 'token-stack-'));
  const parts: Partial<TokenRegistryStack> = { dir };
  const close = async () => {
    await parts.registry?.stop();
    await parts.layout?.remove();
    await parts.api?.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const { keyPem, certPath } = await makeTokenSigner(dir, o.signer ?? 'signer');
    parts.cert = certPath;
    parts.api = await startTestApi({
      registryToken: { keyPem, issuer: o.issuer, service: o.service, ttlSeconds: o.ttlSeconds ?? 300 },
      accessPolicy: parseAccessPolicy(o.policy),
      ...o.api,
    });
    parts.registry = await startRegistry({ tokenAuth: { realm: `${parts.api.url}/registry/token`, service: o.service, issuer: o.issuer, rootCertBundle: certPath } });
    parts.layout = await OciLayout.create();
    await parts.layout.addImage('v1', { seed: o.seed });
  } catch (e) {
    await close();
    throw e;
  }
  return { ...(parts as Omit<TokenRegistryStack, 'close'>), close };
}
