import { SFNClient } from '@aws-sdk/client-sfn';
import { tracer } from './tracer';

export const sfn = tracer.captureAwsClient(new SFNClient({}));
