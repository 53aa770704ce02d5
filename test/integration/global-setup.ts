/**
 * The integration project's local cloud (see support/cloud-setup.ts). It opts in to sending email
 * and phone to Berbix (`SEND_CONTACT_DETAILS`, off by default), so the DELETE tests have personal
 * data at Berbix to remove; the reliability cloud keeps the default.
 */
import { cloudGlobalSetup } from './support/cloud-setup';

export default cloudGlobalSetup('integration', { envOverrides: { SEND_CONTACT_DETAILS: 'true' } });
