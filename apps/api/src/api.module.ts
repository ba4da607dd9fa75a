import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type AppConfig, ConfigModule } from '@app/config';
import { HttpApiModule } from '@app/http';
import { ImageApiModule } from '@app/image';
import { PersistenceModule } from '@app/persistence';

/** JSON logs with a request id (taken from X-Request-Id when the caller sends one). */
export function loggerModule(config: AppConfig): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.logLevel,
      genReqId: (req: IncomingMessage) => {
        const given = req.headers['x-request-id'];
        return typeof given === 'string' && given.length <= 128 ? given : randomUUID();
      },
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-registry-secret"]'],
      autoLogging: { ignore: (req: IncomingMessage) => /^\/(livez|readyz|healthz|metrics)/.test(req.url ?? '') },
    },
  });
}

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig, extra: DynamicModule[] = []): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), loggerModule(config), PersistenceModule, ImageApiModule, HttpApiModule, ...extra],
    };
  }
}
