import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { tracer } from './tracer';

export const eventBridge = tracer.captureAwsClient(new EventBridgeClient({}));
