import { VerificationMetrics } from '../adapters/metrics';
import { loadConfig, LOGGER_ENV, SERVICE_NAME } from '../contract/env';

/**
 * The funnel and Berbix-call metrics, in the deployment's namespace with its `service` dimension
 * (the same service name as the logs).
 */
export const metrics = new VerificationMetrics({
  namespace: loadConfig(['metricsNamespace']).metricsNamespace,
  serviceName: process.env[LOGGER_ENV.serviceName] ?? SERVICE_NAME,
});
