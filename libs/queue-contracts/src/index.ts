export * from './queues';
export * from './job-ids';
export * from './job-defaults';
export * from './connection';
export * from './producer';
export * from './triggers';
export * from './close-guard';
export * from './redis-rejection-guard';
