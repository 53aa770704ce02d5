import { repository } from '../../composition/repository';
import { uploadStore } from '../../composition/upload-store';
import { loadConfig } from '../../contract/env';
import { toVerificationView } from '../../domain';
import { submitIdScanBody } from '../../domain/requests';
import { apiHandler, jsonResponse } from '../../middleware';
import { submitIdScan } from '../../use-cases/submit-id-scan';

const scopes = loadConfig(['backendScope', 'clientScope']);

/** POST /verifications/{id}/id-scans */
export const handler = apiHandler({ scopes, body: submitIdScanBody }, async (event) => {
  const verification = await submitIdScan(
    { repository, uploads: uploadStore },
    {
      id: event.pathParameters?.id,
      auth: event.auth,
      scan: Buffer.from(event.parsedBody.data, 'base64'),
    },
  );
  return jsonResponse(202, toVerificationView(verification));
});
