import { Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiError } from '@app/api-machinery';
import { setRequestLabels } from '@app/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryEventQueue } from './event-queue';
import { eventStates, type EventState, type InboxEvent, InboxRepository } from './inbox.repository';
import { SharedSecret } from './shared-secret';

const ref = { group: '', resource: 'registryevents' };

function send(reply: FastifyReply, code: number, body: object): void {
  void reply.status(code).header('content-type', 'application/json').send(JSON.stringify(body));
}

function view(e: InboxEvent) {
  return {
    id: e.id,
    kind: e.kind,
    repository: e.repository,
    ...(e.tag !== null ? { tag: e.tag } : {}),
    ...(e.digest !== null ? { digest: e.digest } : {}),
    ...(e.mediaType !== null ? { mediaType: e.mediaType } : {}),
    timestamp: e.eventTime,
    receivedAt: e.receivedAt,
    state: e.state,
    ...(e.outcome !== null ? { outcome: e.outcome } : {}),
    ...(e.reason !== null ? { reason: e.reason } : {}),
    attempts: e.attempts,
    redrives: e.redrives,
    ...(e.finishedAt !== null ? { finishedAt: e.finishedAt } : {}),
  };
}

/**
 * The inbox over HTTP, for operators: list events by state (failed ones above all), read one, and
 * redrive a failed or ignored one (back to pending with a fresh attempt budget, and enqueued).
 * Guarded by the registry's shared secret: whoever may feed the inbox may also inspect and replay it.
 */
const TOKEN_PREFIX = 'after:';

/** An opaque continue token naming the last event id of a page. */
function continueToken(lastId: string): string {
  return Buffer.from(`${TOKEN_PREFIX}${lastId}`, 'utf8').toString('base64url');
}

/** The event id a continue token names; 400 for anything this server did not hand out. */
function continueAfter(token: string): string {
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (!decoded.startsWith(TOKEN_PREFIX) || decoded.length === TOKEN_PREFIX.length) {
    throw ApiError.badRequest('continue key is not valid: it was not issued by this list');
  }
  return decoded.slice(TOKEN_PREFIX.length);
}

@Controller('registry/events')
export class RegistryEventsController {
  constructor(
    @Inject(SharedSecret) private readonly secret: SharedSecret,
    @Inject(InboxRepository) private readonly inbox: InboxRepository,
    @Inject(RegistryEventQueue) private readonly queue: RegistryEventQueue,
  ) {}

  /** `GET /registry/events?state=failed&limit=100&continue=<token>`: ordered by event id. */
  @Get()
  async list(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Query() query: Record<string, string | undefined>): Promise<void> {
    setRequestLabels(req, { verb: 'list', resource: 'registry/events' });
    this.secret.check(req.headers);
    const state = query['state'];
    if (state !== undefined && state !== '' && !(eventStates as readonly string[]).includes(state)) {
      throw ApiError.badRequest(`state must be one of ${eventStates.join(', ')} (got "${state}")`);
    }
    const rawLimit = query['limit'] ?? '100';
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > 1000) {
      throw ApiError.badRequest('limit must be an integer between 1 and 1000');
    }
    const limit = Number(rawLimit);
    const after = query['continue'] ? continueAfter(query['continue']) : undefined;
    const items = await this.inbox.list(state ? (state as EventState) : undefined, limit + 1, after);
    const page = items.slice(0, limit);
    const more = items.length > limit;
    send(reply, 200, {
      kind: 'RegistryEventList',
      items: page.map(view),
      ...(more ? { continue: continueToken(page[page.length - 1]!.id) } : {}),
      counts: await this.inbox.counts(),
    });
  }

  @Get(':id')
  async get(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    setRequestLabels(req, { verb: 'get', resource: 'registry/events' });
    this.secret.check(req.headers);
    const event = await this.inbox.get(id);
    if (!event) throw ApiError.notFound(ref, id);
    send(reply, 200, view(event));
  }

  /** `POST /registry/events/{id}/redrive`: failed or ignored → pending, enqueued; 409 in any other state. */
  @Post(':id/redrive')
  async redrive(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    setRequestLabels(req, { verb: 'create', resource: 'registry/events/redrive' });
    this.secret.check(req.headers);
    const result = await this.inbox.redrive(id);
    if (!result) throw ApiError.notFound(ref, id);
    if (!result.changed) {
      throw ApiError.conflict(ref, id, `only failed or ignored events can be redriven; this one is ${result.event.state}`);
    }
    // An old failed job with this id would make add() a no-op: replace it. Redis down → the sweeper enqueues it.
    await this.queue.ensureQueued(id).catch(() => undefined);
    send(reply, 200, view(result.event));
  }
}
