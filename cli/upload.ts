/**
 * The presigned POST from Node with byte progress: the client's form, encoded once (so S3 gets a
 * Content-Length), then written to the socket in chunks, each reported as it is handed on.
 */
import http from 'node:http';
import https from 'node:https';
import { buildUploadForm, uploadOutcome, type PresignedUpload, type UploadOutcome } from '../client';
import type { ImageFile } from './files';

const CHUNK_BYTES = 64 * 1024;

export async function sendUploadForm(
  upload: PresignedUpload,
  file: ImageFile,
  onProgress: (sentBytes: number, totalBytes: number) => void,
): Promise<UploadOutcome> {
  const form = buildUploadForm(upload, new Blob([file.bytes], { type: file.format }), file.name);
  const encoded = new Request(upload.url, { method: 'POST', body: form });
  const contentType = encoded.headers.get('content-type')!;
  const body = new Uint8Array(await encoded.arrayBuffer());
  const url = new URL(upload.url);
  const transport = url.protocol === 'https:' ? https : http;

  return new Promise<UploadOutcome>((resolve, reject) => {
    const req = transport.request(url, {
      method: 'POST',
      headers: { 'content-type': contentType, 'content-length': body.length },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve(uploadOutcome(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))),
      );
    });
    let sent = 0;
    const writeNext = () => {
      if (sent >= body.length) {
        req.end();
        return;
      }
      const chunk = body.subarray(sent, sent + CHUNK_BYTES);
      req.write(chunk, (error) => {
        if (error) return;
        sent += chunk.length;
        onProgress(sent, body.length);
        writeNext();
      });
    };
    writeNext();
  });
}
