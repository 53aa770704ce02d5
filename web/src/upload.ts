/**
 * The presigned POST from the browser with XMLHttpRequest, whose `upload.onprogress` reports the
 * bytes sent (fetch has no upload progress).
 */
import { buildUploadForm, type PresignedUpload } from './api';

export interface UploadResult {
  ok: boolean;
  status: number;
  /** S3's error code (e.g. `AccessDenied` for an expired form, `EntityTooLarge`). */
  code?: string;
}

export class UploadNetworkError extends Error {
  override name = 'UploadNetworkError';
}

const xmlCode = (xml: string): string | undefined => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];

export function postWithProgress(
  upload: PresignedUpload,
  file: Blob,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.url);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      const ok = xhr.status >= 200 && xhr.status < 300;
      if (ok) onProgress(1);
      resolve({ ok, status: xhr.status, ...(ok ? {} : { code: xmlCode(xhr.responseText) }) });
    };
    xhr.onerror = () => reject(new UploadNetworkError('The upload did not reach storage'));
    xhr.onabort = () => reject(signal?.reason ?? new DOMException('Aborted', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(buildUploadForm(upload, file));
  });
}
