import pino, { type Logger } from 'pino';
import type { AppConfig } from '@app/config';

/** The process logger: JSON lines, credentials redacted from logged requests. */
export function createLogger(config: AppConfig): Logger {
  return pino({
    level: config.logLevel,
    // Fastify logs no headers by default; these stay hidden should a serializer ever add them.
    redact: ['req.headers.authorization', 'req.headers.cookie', `req.headers["${config.registryNotifyHeader}"]`],
  });
}
