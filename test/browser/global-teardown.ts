import { cloudGlobalTeardown } from '../integration/support/cloud-setup';

export default cloudGlobalTeardown('browser');
