/** The integration project's local cloud (see support/cloud-setup.ts). */
import { cloudGlobalSetup } from './support/cloud-setup';

export default cloudGlobalSetup('integration');
