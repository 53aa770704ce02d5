import { berbixClient } from '../../composition/berbix';
import { berbixDeletions } from '../../composition/berbix-deletions';
import { metrics } from '../../composition/metrics';
import { repository } from '../../composition/repository';
import { uploadStore } from '../../composition/upload-store';
import { workflow } from '../../composition/workflow';
import { loadConfig } from '../../contract/env';
import { toVerificationView } from '../../domain';
import { apiHandler, jsonResponse, type ApiResult } from '../../middleware';
import { deleteVerification } from '../../use-cases/delete-verification';

const config = loadConfig(['berbixDeletionRetrySeconds', 'backendScope', 'clientScope']);

/**
 * DELETE /verifications/{id} (backend): 204 when nothing is left anywhere, 202 with the tombstone
 * (`berbix_deletion: pending`) while Berbix's copy waits for its retries.
 */
export const handler = apiHandler({ scopes: config }, async (event) => {
  const pending = await deleteVerification(
    { repository, uploads: uploadStore, workflow, berbixDeletions, berbixClient, funnel: metrics, config },
    { id: event.pathParameters?.id, auth: event.auth },
  );
  if (pending) return jsonResponse(202, toVerificationView(pending));
  return { statusCode: 204, body: '' } satisfies ApiResult;
});
