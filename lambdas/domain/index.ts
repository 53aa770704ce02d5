// Request schemas (./requests) are left out on purpose: the functions that parse a body import them
// directly, so the others do not bundle a validator.
export * from './view';
export * from './ids';
export * from './image-check';
export * from './status';
export * from './steps';
export * from './upload-key';
export * from './verification';
export * from './errors';
export * from './failure-reasons';
export * from './arrived-object';
export * from './version';
