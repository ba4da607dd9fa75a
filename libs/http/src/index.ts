export * from './change-feed';
export * from './http-api.module';
export * from './query-options';
export * from './request-body';
export * from './request-labels';
export * from './status-exception.filter';
export * from './watch.service';
export * from './watch-stream';
export { decodeOpenApiV2, encodeOpenApiV2 } from './openapi/openapi-v2-protobuf';
