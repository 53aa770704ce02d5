import { repository } from '../../composition/repository';
import { uploadForms } from '../../composition/upload-forms';
import { loadConfig } from '../../contract/env';
import { createUploadBody } from '../../domain/requests';
import { apiHandler, jsonResponse } from '../../middleware';
import { createUploadForm } from '../../use-cases/create-upload';

const config = loadConfig(['uploadUrlTtlSeconds', 'maxUploadBytes', 'backendScope', 'clientScope']);

/** POST /verifications/{id}/uploads */
export const handler = apiHandler({ scopes: config, body: createUploadBody }, async (event) => {
  const form = await createUploadForm(
    { repository, forms: uploadForms, config },
    {
      id: event.pathParameters?.id,
      auth: event.auth,
      step: event.parsedBody.step,
      contentType: event.parsedBody.content_type,
    },
  );
  return jsonResponse(201, {
    url: form.url,
    fields: form.fields,
    key: form.key,
    expires_at: form.expiresAt,
    max_bytes: form.maxBytes,
  });
});
