import { XRayTracer } from '../adapters/xray';

/**
 * X-Ray subsegments for the AWS SDK clients and the Berbix requests of this function (a no-op
 * unless Lambda's active tracing sampled the invocation).
 */
export const tracer = new XRayTracer();
