import { randomBytes } from 'node:crypto';
import { call, type HttpAnswer } from '@app/testing';
import { pollUntil } from './poll';

/** Path of the triggers.imagestreamd.io/v1 API group. */
export const TRIGGERS_API = '/apis/triggers.imagestreamd.io/v1';
const IMAGES_API = '/apis/image.openshift.io/v1';
/** Name of the TriggerSecret that `triggerSpec` signs deliveries with. */
export const SIGNING_SECRET = 'hook-key';

/** A sha256 digest of one character repeated: `digest('a')` is `sha256:aaa…a`. */
export const digest = (c: string) => `sha256:${c.repeat(64)}`;

/** What an ImageStreamMapping records: `stream:tag` moves to `image`, pulled as `repository@image`. */
export interface ImageMapping {
  stream: string;
  tag: string;
  image: string;
  repository: string;
  /** Annotations of the Image. */
  annotations?: Record<string, string>;
  /** Config labels of the Image (dockerImageMetadata). */
  labels?: Record<string, string>;
}

/** POSTs an ImageStreamMapping (a push) in `namespace` and expects 201. */
export async function mapImage(apiUrl: string, namespace: string, m: ImageMapping): Promise<void> {
  const res = await call('POST', `${apiUrl}${IMAGES_API}/namespaces/${namespace}/imagestreammappings`, {
    metadata: { name: m.stream },
    tag: m.tag,
    image: {
      metadata: { name: m.image, ...(m.annotations ? { annotations: m.annotations } : {}) },
      dockerImageReference: `${m.repository}@${m.image}`,
      ...(m.labels
        ? {
            dockerImageMetadata: { kind: 'DockerImage', apiVersion: '1.0', Config: { Labels: m.labels } },
            dockerImageMetadataVersion: '1.0',
          }
        : {}),
    },
  });
  expect(res.status).toBe(201);
}

/** POSTs the signing TriggerSecret (`SIGNING_SECRET`) in `namespace`, by default with a fresh random key; returns the answer. */
export function createSigningSecret(
  apiUrl: string,
  namespace: string,
  data: Record<string, string> = { key: `whsec_${randomBytes(32).toString('base64')}` },
): Promise<HttpAnswer<any>> {
  return call('POST', `${apiUrl}${TRIGGERS_API}/namespaces/${namespace}/triggersecrets`, {
    metadata: { name: SIGNING_SECRET },
    data,
  });
}

/** A Trigger spec: follows ImageStreamTag `from`, names `target`, delivers to `url` signed with `SIGNING_SECRET`. */
export function triggerSpec(from: string, target: object, url: string) {
  return {
    from: { kind: 'ImageStreamTag', name: from },
    target,
    delivery: { url, secretRef: { name: SIGNING_SECRET } },
  };
}

/** POSTs the Trigger `name` with `spec` in `namespace`, expects 201 and returns the created Trigger. */
export async function createTrigger(
  apiUrl: string,
  namespace: string,
  name: string,
  spec: object,
): Promise<any> {
  const res = await call('POST', `${apiUrl}${TRIGGERS_API}/namespaces/${namespace}/triggers`, {
    metadata: { name },
    spec,
  });
  expect(res.status).toBe(201);
  return res.body;
}

/** The Trigger `name` in `namespace`, as the api serves it. */
export async function getTrigger(apiUrl: string, namespace: string, name: string): Promise<any> {
  return (await call('GET', `${apiUrl}${TRIGGERS_API}/namespaces/${namespace}/triggers/${name}`)).body;
}

/**
 * Polls the Trigger `name` until its condition of `type` satisfies `until` (by default: it exists)
 * or `timeoutMs` has passed; returns that condition as last read.
 */
export function waitForCondition(
  apiUrl: string,
  namespace: string,
  name: string,
  type: string,
  until: (condition: any) => boolean = (c) => c !== undefined,
  timeoutMs = 10000,
): Promise<any> {
  return pollUntil(
    async () => findCondition(await getTrigger(apiUrl, namespace, name), type),
    until,
    timeoutMs,
  );
}

/** The Deliveries in `namespace`, of the Trigger (or workload) `trigger` when given. */
export async function listDeliveries(apiUrl: string, namespace: string, trigger?: string): Promise<any[]> {
  const selector = trigger === undefined ? '' : `?labelSelector=triggers.imagestreamd.io/trigger=${trigger}`;
  const list = await call('GET', `${apiUrl}${TRIGGERS_API}/namespaces/${namespace}/deliveries${selector}`);
  return list.body.items;
}

/** The condition of `type` in a Trigger's status, if it has one. */
export function findCondition(trigger: any, type: string): any {
  return trigger.status?.conditions?.find((c: any) => c.type === type);
}

/** A trigger event without what differs between a preview and the real push (time, data.tagChangeId). */
export function comparableEvent(event: any): any {
  return { ...event, time: undefined, data: { ...event.data, tagChangeId: undefined } };
}
