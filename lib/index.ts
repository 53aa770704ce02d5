/**
 * berbix-serverless as a construct library: `import { BerbixVerification } from 'berbix-serverless'`.
 * See docs/construct.md.
 */
export {
  BerbixVerification,
  EVENT_SOURCE,
  MAX_UPLOAD_BYTES,
  RESULT_ATTRIBUTES,
  VERIFICATION_COMPLETED,
  type BerbixVerificationProps,
  type VerificationFunctionId,
} from './berbix-verification';
export type { ThrottlingProps } from './constructs/verification-api';
export type { BerbixRetryProps } from './constructs/verification-workflow';
