/**
 * The presigned POST from the browser with XMLHttpRequest, whose `upload.onprogress` reports the
 * bytes sent (fetch has no upload progress); the form and S3's answer as the typed client has them.
 */
import { buildUploadForm, uploadOutcome, type PresignedUpload, type UploadOutcome } from '../../client';

export class UploadNetworkError extends Error {
  override name = 'UploadNetworkError';
}

export function postWithProgress(
  upload: PresignedUpload,
  file: Blob,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<UploadOutcome> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.url);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      const outcome = uploadOutcome(xhr.status, xhr.responseText);
      if (outcome.ok) onProgress(1);
      resolve(outcome);
    };
    xhr.onerror = () => reject(new UploadNetworkError('The upload did not reach storage'));
    xhr.onabort = () => reject(signal?.reason ?? new DOMException('Aborted', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(buildUploadForm(upload, file));
  });
}
