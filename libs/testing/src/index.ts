export * from './kube-http';
export * from './pg-template';
export * from './test-config';
