import { VerificationEvents } from '../adapters/events';
import { loadConfig } from '../contract/env';
import { eventBridge } from './events';

/** `VerificationCompleted` events, on the deployment's bus. */
export const verificationEvents = new VerificationEvents(
  eventBridge,
  loadConfig(['eventBusName']).eventBusName,
);
