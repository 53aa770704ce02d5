/** The environment a deployed function gets (docs/architecture.md), with test values. */
export const TEST_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'testsecret',
  TABLE_NAME: 'verifications',
  BUCKET_NAME: 'uploads-bucket',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:Verification',
  BERBIX_DELETION_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:BerbixDeletion',
  BERBIX_DELETION_RETRY_SECONDS: '30',
  BERBIX_DELETION_GIVE_UP_SECONDS: '21600',
  BERBIX_CREATE_WINDOW_SECONDS: '90',
  BERBIX_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:berbix',
  BERBIX_API_URL: 'http://127.0.0.1:9',
  BERBIX_TEMPLATE_KEY: 'tpl_test',
  EVENT_BUS_NAME: 'default',
  UPLOAD_URL_TTL_SECONDS: '300',
  MAX_UPLOAD_BYTES: '20971520',
  CREATE_WAIT_MS: '1500',
  ABANDON_AFTER_SECONDS: '86400',
  IMAGE_RETENTION_SECONDS: '0',
  DATA_RETENTION_DAYS: '30',
  MAX_UPLOAD_ATTEMPTS: '10',
  SEND_CONTACT_DETAILS: 'false',
  BACKEND_SCOPE: 'verifications/backend',
  CLIENT_SCOPE: 'verifications/client',
  BERBIX_SECRET_MAX_AGE_SECONDS: '300',
  POWERTOOLS_METRICS_NAMESPACE: 'BerbixServerlessTest',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  // Tests that read the EMF lines turn them on (test/unit/handlers/metrics.test.ts).
  POWERTOOLS_METRICS_DISABLED: 'true',
};

export function setTestEnv(overrides: Record<string, string> = {}): void {
  Object.assign(process.env, TEST_ENV, overrides);
}
