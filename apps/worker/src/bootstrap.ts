import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { DynamicModule, INestApplicationContext } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '@app/config';
import { prepareDatabase } from '@app/persistence';
import { installBullmqShutdownGuards } from '@app/queue-contracts';
import { WorkerModule } from './worker.module';

export interface WorkerProcess {
  app: INestApplicationContext;
  close(): Promise<void>;
}

/** Starts the worker as an application context (no HTTP); SIGTERM closes consumers cleanly. */
export async function bootstrapWorker(config: AppConfig, extra: DynamicModule[] = []): Promise<WorkerProcess> {
  installBullmqShutdownGuards();
  const migrated = await prepareDatabase(config.databaseUrl, 1);
  await migrated.destroy();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, extra), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.init();
  return { app, close: () => app.close() };
}
