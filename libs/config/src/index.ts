export * from './env-readers';
export * from './app-config';
export * from './load-config';
export * from './config.module';
export * from './trigger-config';
export * from './access-policy';
export * from './registry-token-config';
export * from './tls-config';
