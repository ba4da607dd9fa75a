export * from './apply-merge';
export * from './field-manager';
export * from './field-set';
export * from './list-shapes';
export * from './managed-fields';
export * from './last-applied';
export { associativeListProblems } from './field-values';
export * from './apply-configuration-checks';
