/** The browser project's own local cloud: the web client is served by its HTTP API. */
import { cloudGlobalSetup } from '../integration/support/cloud-setup';

export default cloudGlobalSetup('browser');
