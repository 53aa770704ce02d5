/**
 * The reliability project's own local cloud: its injected Berbix faults, races and hostile images
 * never reach the integration tests' cloud.
 */
import { cloudGlobalSetup } from '../integration/support/cloud-setup';

// A deleted verification's Berbix deletion waits 30 s before its first retry in a deployment; 1 s here.
export default cloudGlobalSetup('reliability', { envOverrides: { BERBIX_DELETION_RETRY_SECONDS: '1' } });
