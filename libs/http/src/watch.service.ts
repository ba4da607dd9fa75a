import type { ServerResponse } from 'node:http';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { Database, type WatchEventOut } from '@app/persistence';
import { ChangeFeed } from './change-feed';
import { ChangeLatch } from './change-latch';
import { ChangeLogCompactor } from './change-log-compactor';
import { PresentedChanges } from './presented-changes';
import { toApiError } from './status-exception.filter';
import { type WatchRequest, WatchStream, watchTimeoutMs, preTimeoutBookmarkDelayMs } from './watch-stream';

/** Owns this process's change feed and open watches; ends every watch cleanly on shutdown. */
@Injectable()
export class WatchService implements OnModuleInit, OnApplicationShutdown {
  readonly feed: ChangeFeed;
  private readonly open = new Set<WatchStream>();
  /** Watches that handlers serve themselves: aborted on shutdown like the others. */
  private readonly handlerWatches = new Set<AbortController>();
  private readonly presentedChanges = new PresentedChanges();
  private readonly compactor: ChangeLogCompactor;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.feed = new ChangeFeed(db, config.databaseUrl);
    this.compactor = new ChangeLogCompactor(db, config.watchRetentionSeconds);
  }

  async onModuleInit(): Promise<void> {
    await this.feed.start();
    // In the background, from now on: watches older than the compaction point then get 410.
    this.compactor.start();
  }

  async serve(request: WatchRequest, res: ServerResponse): Promise<void> {
    const stream = new WatchStream(
      request,
      res,
      this.db,
      this.feed,
      this.config.watchBookmarkIntervalSeconds * 1000,
      (w) => this.open.delete(w),
      this.presentedChanges,
    );
    this.open.add(stream);
    await stream.start();
  }

  get openWatches(): number {
    return this.open.size + this.handlerWatches.size;
  }

  /**
   * A watch the handler serves itself (ResourceHandler.watchItself): the same framing, timeout,
   * bookmark interval and shutdown as change-log watches; a failure ends it with an ERROR event.
   */
  async serveByHandler(request: WatchRequest, res: ServerResponse): Promise<void> {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const abort = new AbortController();
    this.handlerWatches.add(abort);
    const timeoutMs = watchTimeoutMs(request.timeoutSeconds);
    const timeout = setTimeout(() => abort.abort(), timeoutMs);
    const lastCall = preTimeoutBookmarkDelayMs(timeoutMs);
    res.on('close', () => abort.abort());
    const write = (event: WatchEventOut) => {
      if (!res.writableEnded) res.write(`${JSON.stringify(event)}\n`);
    };
    const latches: ChangeLatch[] = [];
    const changesOf = (resources: readonly string[]) => {
      const latch = new ChangeLatch(this.feed, resources, request.namespace);
      latches.push(latch);
      return { next: (timeoutMs: number) => latch.next(timeoutMs, abort.signal) };
    };
    try {
      await request.handler.watchItself!(
        {
          namespace: request.namespace,
          labelSelector: request.labelSelector,
          fieldSelector: request.fieldSelector,
          resourceVersion: request.resourceVersion,
          allowWatchBookmarks: request.allowWatchBookmarks,
          ...(request.sendInitialEvents !== undefined ? { sendInitialEvents: request.sendInitialEvents } : {}),
          bookmarkIntervalMs: this.config.watchBookmarkIntervalSeconds * 1000,
          preTimeoutBookmarkAt: lastCall !== undefined ? Date.now() + lastCall : undefined,
          signal: abort.signal,
          changesOf,
        },
        write,
      );
    } catch (e) {
      write({ type: 'ERROR', object: toApiError(e).toStatus() });
    } finally {
      clearTimeout(timeout);
      for (const latch of latches) latch.close();
      this.handlerWatches.delete(abort);
      if (!res.writableEnded) res.end();
    }
  }

  closeAll(): void {
    for (const w of [...this.open]) w.close();
    for (const w of [...this.handlerWatches]) w.abort();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.compactor.stop();
    this.closeAll();
    await this.feed.stop();
  }
}
