export * from './api';
export * from './ids';
export * from './image-check';
export * from './status';
export * from './steps';
export * from './upload-key';
export * from './verification';
export * from './errors';
