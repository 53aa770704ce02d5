/**
 * The reliability project's own local cloud: its injected Berbix faults, races and hostile images
 * never reach the integration tests' cloud.
 */
import { cloudGlobalSetup } from '../integration/support/cloud-setup';

export default cloudGlobalSetup('reliability');
