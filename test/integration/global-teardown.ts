import { cloudGlobalTeardown } from './support/cloud-setup';

export default cloudGlobalTeardown('integration');
