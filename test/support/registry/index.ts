export * from './tools';
export * from './registry-config';
export * from './registry-process';
export * from './tar';
export * from './oci-layout';
export * from './skopeo';
export * from './registry-http';
export * from './notification-recorder';
