import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import Redis from 'ioredis';
import { Client } from 'pg';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { listDeliveries, SIGNING_SECRET, TRIGGERS_API, triggerSpec } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/**
 * A registry that wants Basic credentials and then fails, quoting the Authorization header it got
 * (as a careless proxy might): ingest and import failures carry its text into logs and rows.
 */
class QuotingRegistry {
  private server!: Server;
  url = '';
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const auth = req.headers['authorization'];
      if (!auth) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"', 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      // A 4xx: a client quotes the errcode message of those (a 5xx's body is not read, as distribution's client does).
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `storage down for ${auth}` }] }));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

/**
 * Secrets never reach the logs (nor rows that are served): api and worker run at LOG_LEVEL=trace while every path that
 * handles one runs (signing keys written, read, listed, watched, patched, applied and refused; a
 * failing delivery; registry notifications with a wrong and a right secret; an import and an
 * ingest that use the registry credentials and fail; a client's bearer token on every request),
 * then the output is searched for each secret, its base64 form and any `Bearer` header.
 */
describe('secrets in logs and stored rows', () => {
  const ns = 'logs';
  const key = `whsec_${randomBytes(32).toString('base64')}`;
  const previousKey = randomBytes(40).toString('base64');
  const notifySecret = `notify-${randomBytes(12).toString('hex')}`;
  const registryUser = 'robot';
  const registryPassword = `regpw-${randomBytes(12).toString('hex')}`;
  const clientToken = `client-${randomBytes(12).toString('hex')}`;
  const tokenUser = 'pusher';
  const tokenPassword = `tokenpw-${randomBytes(12).toString('hex')}`;
  const tokenDir = mkdtempSync(join(tmpdir(), 'isd-token-'));
  const registry = new QuotingRegistry();
  const receiver = new Receiver();
  let server: TriggerServer;
  const queuePrefixes = [`sl${randomBytes(4).toString('hex')}`, `st${randomBytes(4).toString('hex')}`];

  /** A client request carrying its own bearer token, as kubectl with a token sends it. */
  async function send(method: string, path: string, body?: unknown, contentType = 'application/json', accept?: string) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${clientToken}`, ...(body === undefined ? {} : { 'content-type': contentType }), ...(accept ? { accept } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  }

  beforeAll(async () => {
    // The registry token endpoint, with a user whose password travels in Basic credentials.
    const tokenKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(join(tokenDir, 'token.key'), tokenKey);
    writeFileSync(join(tokenDir, 'policy.yaml'), `users: [{name: ${tokenUser}, password: ${tokenPassword}}]\ngrants: [{subjects: [${tokenUser}], namespaces: [${ns}], actions: [pull, push]}]\n`);
    await Promise.all([registry.start(), receiver.start()]);
    receiver.mode = 'fail';
    server = await startTriggerServer({
      LOG_LEVEL: 'trace',
      REGISTRY_NOTIFY_SECRET: notifySecret,
      REGISTRY_URL: registry.url,
      REGISTRY_USERNAME: registryUser,
      REGISTRY_PASSWORD: registryPassword,
      INGEST_ATTEMPTS: '1',
      TRIGGER_ATTEMPT_BUDGET: '1',
      QUEUE_PREFIX: queuePrefixes[0]!,
      TRIGGER_QUEUE_PREFIX: queuePrefixes[1]!,
      REGISTRY_TOKEN_KEY_FILE: join(tokenDir, 'token.key'),
      ACCESS_POLICY_FILE: join(tokenDir, 'policy.yaml'),
    });
  }, 90000);
  afterAll(async () => {
    await server?.close();
    registry.close();
    receiver.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });

  it('no secret, in any form, is written by api or worker at trace level, sent to a receiver or kept in a served row', async () => {
    const secrets = `${TRIGGERS_API}/namespaces/${ns}/triggersecrets`;
    expect((await send('POST', secrets, { metadata: { name: SIGNING_SECRET }, data: { key, previousKey } })).status).toBe(201);
    // Refused writes: an invalid key value, an unknown data key, strict field validation, a body that is not JSON.
    expect((await send('POST', secrets, { metadata: { name: 'bad' }, data: { key: `${key}!` } })).status).toBe(422);
    expect((await send('POST', secrets, { metadata: { name: 'bad' }, data: { key, other: key } })).status).toBe(422);
    expect((await send('POST', `${secrets}?fieldValidation=Strict`, { metadata: { name: 'bad' }, data: { key }, extra: key })).status).toBe(400);
    expect((await send('POST', secrets, `{"metadata":{"name":"bad"},"data":{"key":"${key}"`)).status).toBe(400);
    // Reads: get, list, Table with objects, a watch with its initial events.
    expect((await send('GET', `${secrets}/${SIGNING_SECRET}`)).status).toBe(200);
    expect((await send('GET', secrets)).status).toBe(200);
    expect((await send('GET', `${secrets}?includeObject=Object`, undefined, undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io')).status).toBe(200);
    expect((await send('GET', `${secrets}?watch=1&resourceVersion=0&timeoutSeconds=1`)).status).toBe(200);
    // Writes: merge, JSON and apply patches (a dry run too), and a refused JSON patch.
    expect((await send('PATCH', `${secrets}/${SIGNING_SECRET}`, { data: { key } }, 'application/merge-patch+json')).status).toBe(200);
    expect((await send('PATCH', `${secrets}/${SIGNING_SECRET}?dryRun=All`, [{ op: 'replace', path: '/data/key', value: key }], 'application/json-patch+json')).status).toBe(200);
    expect((await send('PATCH', `${secrets}/${SIGNING_SECRET}`, [{ op: 'test', path: '/data/key', value: key }], 'application/json-patch+json')).status).toBe(422);
    const applied = { apiVersion: 'triggers.imagestreamd.io/v1', kind: 'TriggerSecret', metadata: { name: SIGNING_SECRET }, data: { key, previousKey } };
    expect((await send('PATCH', `${secrets}/${SIGNING_SECRET}?fieldManager=logs&force=true`, applied, 'application/apply-patch+yaml')).status).toBe(200);

    // A trigger whose receiver fails: the delivery is signed with the keys, then dead-lettered.
    const streams = `/apis/image.openshift.io/v1/namespaces/${ns}`;
    expect((await send('POST', `${streams}/imagestreams`, { metadata: { name: 'app' } })).status).toBe(201);
    expect((await send('POST', `${TRIGGERS_API}/namespaces/${ns}/triggers`, { metadata: { name: 'hook' }, spec: triggerSpec('app:latest', { kind: 'Webhook', name: 'hook' }, receiver.url()) })).status).toBe(201);
    const image = `sha256:${'c'.repeat(64)}`;
    const mapping = { metadata: { name: 'app' }, tag: 'latest', image: { metadata: { name: image }, dockerImageReference: `example.com/logs/app@${image}` } };
    expect((await send('POST', `${streams}/imagestreammappings`, mapping)).status).toBe(201);

    // Registry notifications: a wrong secret (401), then the right one for a push the worker cannot read.
    const eventId = randomUUID();
    const envelope = {
      events: [
        {
          id: eventId,
          timestamp: new Date().toISOString(),
          action: 'push',
          target: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: `sha256:${'d'.repeat(64)}`, repository: `${ns}/pushed`, tag: 'v1' },
          request: { id: 'r1', addr: '127.0.0.1', host: 'registry', method: 'PUT', useragent: 'test' },
          actor: {},
          source: { addr: 'registry', instanceID: 'i1' },
        },
      ],
    };
    const notify = async (authorization: string) =>
      (
        await fetch(`${server.url}/registry/notifications`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
          body: JSON.stringify(envelope),
        })
      ).status;
    expect(await notify(`Bearer wrong-${notifySecret}`)).toBe(401);
    expect(await notify(`Bearer ${notifySecret}`)).toBe(202);

    // An import from the configured registry, which uses (and is answered with a quote of) its credentials.
    const host = new URL(registry.url).host;
    const imported = await send('POST', `${streams}/imagestreamimports`, {
      metadata: { name: 'app' },
      spec: { import: true, images: [{ from: { kind: 'DockerImage', name: `${host}/logs/app:v1` }, to: { name: 'v1' }, importPolicy: { insecure: true } }] },
    });
    expect(imported.status).toBe(201);
    expect(imported.text).toContain('storage down for');

    // Registry tokens: issued for the right password (the token itself is a credential), refused for a wrong one.
    const tokenFor = (password: string) =>
      fetch(`${server.url}/registry/token?service=imagestreamd-registry&scope=repository:${ns}/app:pull,push`, {
        headers: { authorization: `Basic ${b64(`${tokenUser}:${password}`)}` },
      });
    const issued = await tokenFor(tokenPassword);
    expect(issued.status).toBe(200);
    const registryToken = ((await issued.json()) as { token: string }).token;
    expect((await tokenFor(`${tokenPassword}-wrong`)).status).toBe(401);

    const dead = await pollUntil(() => listDeliveries(server.url, ns, 'hook'), (ds) => ds[0]?.status?.state === 'dead', 20000);
    expect(dead[0]?.status?.state).toBe('dead');
    expect(receiver.at('/hook').length).toBeGreaterThan(0);
    const failedLine = `registry event ${eventId} failed`;
    await pollUntil(async () => server.output(), (out) => out.includes(failedLine), 20000);

    const output = server.output();
    // The logs are there (request lines and the worker's failure), so their silence below means something.
    expect(output).toContain('request completed');
    expect(output).toContain(failedLine);
    const forbidden = [key, key.slice('whsec_'.length), previousKey, notifySecret, registryPassword, clientToken, tokenPassword, registryToken];
    for (const secret of forbidden) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(b64(secret));
    }
    expect(output).not.toContain(b64(`${registryUser}:${registryPassword}`));
    expect(output).not.toContain(b64(`${tokenUser}:${tokenPassword}`));
    expect(output).not.toMatch(/bearer/i);

    // Nor anything served or sent: the receiver got no key (only signatures), and no row outside
    // trigger_secrets (the change log, deliveries and attempts, the inbox, import conditions) holds one.
    const sent = JSON.stringify(receiver.received);
    for (const secret of [key.slice('whsec_'.length), previousKey]) expect(sent).not.toContain(secret);
    const pg = new Client({ connectionString: server.databaseUrl });
    await pg.connect();
    try {
      const tables = await pg.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'trigger_secrets'`,
      );
      const holding: string[] = [];
      for (const { name } of tables.rows) {
        for (const secret of [...forbidden, b64(`${registryUser}:${registryPassword}`)]) {
          const hit = await pg.query(`SELECT 1 FROM "${name}" t WHERE t::text LIKE '%' || $1 || '%' LIMIT 1`, [secret]);
          if (hit.rowCount) holding.push(name);
        }
      }
      expect(tables.rows.map((t) => t.name)).toEqual(expect.arrayContaining(['resource_changes', 'trigger_delivery_attempts', 'registry_events', 'image_streams']));
      expect(holding).toEqual([]);
    } finally {
      await pg.end();
    }

    // Nor BullMQ's keys in Redis: job data, failure reasons and stack traces of this server's queues.
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      let dumped = '';
      for (const prefix of queuePrefixes) {
        for (const k of await redis.keys(`${prefix}:*`)) {
          const type = await redis.type(k);
          if (type === 'hash') dumped += JSON.stringify(await redis.hgetall(k));
          else if (type === 'string') dumped += (await redis.get(k)) ?? '';
          else if (type === 'list') dumped += JSON.stringify(await redis.lrange(k, 0, -1));
          else if (type === 'zset') dumped += JSON.stringify(await redis.zrange(k, 0, -1));
        }
      }
      expect(dumped).toContain(eventId);
      for (const secret of [...forbidden, b64(`${registryUser}:${registryPassword}`)]) expect(dumped).not.toContain(secret);
    } finally {
      redis.disconnect();
    }
  }, 90000);
});
