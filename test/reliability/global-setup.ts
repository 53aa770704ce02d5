/**
 * The reliability project's own local cloud: its injected Berbix faults, races and hostile images
 * never reach the integration tests' cloud. Step Functions' retry waits run at 1/100 of their
 * deployed length (`retryTimeScale`), so the real retry budgets are spent in milliseconds, and
 * `POST /verifications` waits 2 s (not 8) for Berbix before answering 202. A deleted
 * verification's Berbix deletion waits 30 s before its first retry in a deployment; 1 s here.
 */
import { cloudGlobalSetup } from '../integration/support/cloud-setup';

export default cloudGlobalSetup('reliability', {
  retryTimeScale: 0.01,
  envOverrides: { CREATE_WAIT_MS: '2000', BERBIX_DELETION_RETRY_SECONDS: '1' },
});
