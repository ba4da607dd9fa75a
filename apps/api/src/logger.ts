import pino, { type Logger } from 'pino';
import type { AppConfig } from '@app/config';

/** The process logger: JSON lines, credentials redacted from logged requests. */
export function createLogger(config: AppConfig): Logger {
  return pino({
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-registry-secret"]'],
  });
}
