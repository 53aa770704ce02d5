import { S3Client } from '@aws-sdk/client-s3';
import { tracer } from './tracer';

// WHEN_REQUIRED: no aws-chunked bodies or empty-body checksums in presigned requests (s3rver and
// some S3-compatible stores mishandle them); S3 does not need them either.
export const s3 = tracer.captureAwsClient(new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED' }));
