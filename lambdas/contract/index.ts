/**
 * The contract between the stack (`lib/`) and the functions (`lambdas/`): what one side sets or
 * builds and the other reads. Both import it; nothing here has a dependency.
 */
export * from './berbix';
export * from './bucket';
export * from './env';
export * from './events';
export * from './limits';
export * from './metrics';
export * from './scopes';
export * from './table';
export * from './task-errors';
