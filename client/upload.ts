/** The presigned POST: the server's fields, then the file, sent straight to S3. */
import type { PresignedUpload } from './types';

/**
 * The multipart form S3 expects: every field the API returned, in order, then the file as the
 * last field, named `file` (S3 ignores fields after it).
 */
export function buildUploadForm(upload: PresignedUpload, file: Blob, fileName = 'upload'): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', file, fileName);
  return form;
}

/** How S3 answered a form: 2xx, or its XML error's code and message (e.g. `EntityTooLarge`). */
export interface UploadOutcome {
  ok: boolean;
  status: number;
  code?: string;
  message?: string;
}

const xmlText = (xml: string, tag: string): string | undefined =>
  new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];

export function uploadOutcome(status: number, body: string): UploadOutcome {
  if (status >= 200 && status < 300) return { ok: true, status };
  return { ok: false, status, code: xmlText(body, 'Code'), message: xmlText(body, 'Message') };
}

/** Sends the form with fetch (a browser's or Node's). For byte progress in a browser use XMLHttpRequest. */
export async function postUploadForm(
  upload: PresignedUpload,
  file: Blob,
  options: { fileName?: string; signal?: AbortSignal; fetch?: typeof fetch } = {},
): Promise<UploadOutcome> {
  const send = options.fetch ?? fetch;
  const res = await send(upload.url, {
    method: 'POST',
    body: buildUploadForm(upload, file, options.fileName),
    signal: options.signal,
  });
  return uploadOutcome(res.status, await res.text());
}

/** Why S3 refused a form, in a sentence. */
export function describeUploadFailure(outcome: UploadOutcome): string {
  switch (outcome.code) {
    case 'EntityTooLarge':
      return 'the file is larger than the upload form allows';
    case 'EntityTooSmall':
      return 'the file is empty';
    case 'AccessDenied':
      return 'the upload form expired or does not match the file; ask for a new one';
    default:
      return `S3 answered ${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}${
        outcome.message ? `: ${outcome.message}` : ''
      }`;
  }
}
