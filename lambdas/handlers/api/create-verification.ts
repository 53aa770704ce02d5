import { metrics } from '../../composition/metrics';
import { repository } from '../../composition/repository';
import { workflow } from '../../composition/workflow';
import { loadConfig } from '../../contract/env';
import { toVerificationView } from '../../domain';
import { createVerificationBody } from '../../domain/requests';
import { apiHandler, jsonResponse } from '../../middleware';
import { createVerification } from '../../use-cases/create-verification';

const config = loadConfig([
  'createWaitMs',
  'abandonAfterSeconds',
  'imageRetentionSeconds',
  'backendScope',
  'clientScope',
  'sendContactDetails',
]);

/** POST /verifications: 201 once Berbix created the transaction, 202 while it is still `creating`. */
export const handler = apiHandler(
  { scopes: config, body: createVerificationBody },
  async (event, context) => {
    const { verification, replayed } = await createVerification(
      { repository, workflow, funnel: metrics, config },
      {
        auth: event.auth,
        body: event.parsedBody,
        idempotencyKey: event.headers?.['idempotency-key'],
        remainingMs: () => context.getRemainingTimeInMillis(),
      },
    );
    return jsonResponse(verification.status === 'creating' ? 202 : 201, toVerificationView(verification), {
      location: `/verifications/${verification.id}`,
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  },
);
