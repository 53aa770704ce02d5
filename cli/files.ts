/**
 * The files `verify` sends, checked before anything is sent: an image must exist and be a JPEG or
 * PNG by its bytes, within the API's size and dimension limits, and complete (the server's own
 * image check); a barcode scan must be PDF417 text or its base64, within the API's limit.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkImage, describeImageProblem, MAX_IMAGE_BYTES, type ImageFormat } from '../client';
import { MAX_ID_SCAN_BASE64 } from '../lambdas/domain/requests';
import { CliError, EXIT } from './errors';
import { formatBytes } from './format';

export interface ImageFile {
  path: string;
  name: string;
  bytes: Uint8Array<ArrayBuffer>;
  format: ImageFormat;
  width: number;
  height: number;
}

export interface ScanFile {
  path: string;
  /** The scan's payload in base64, as `POST /id-scans` takes it. */
  data: string;
}

const refuse = (file: string, why: string) => new CliError(`${file}: ${why}`, EXIT.usage);

function readBytes(file: string, maxBytes: number): Uint8Array<ArrayBuffer> {
  let size: number;
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw refuse(file, 'is a folder, not a file');
    size = stat.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw refuse(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? 'error'})`);
  }
  // Judged by its size before reading, so a huge file is never loaded.
  if (size > maxBytes)
    throw refuse(file, `${formatBytes(size)} is over the limit of ${formatBytes(maxBytes)}`);
  try {
    return new Uint8Array(readFileSync(file));
  } catch (error) {
    throw refuse(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export async function readImageFile(file: string): Promise<ImageFile> {
  const bytes = readBytes(file, MAX_IMAGE_BYTES);
  const check = await checkImage(bytes);
  if (!check.ok) throw refuse(file, describeImageProblem(check.reason));
  return {
    path: file,
    name: path.basename(file),
    bytes,
    format: check.format,
    width: check.width,
    height: check.height,
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A PDF417 payload as a scanner app writes it: the raw AAMVA text (it starts with `@`), or that
 * text in base64. Anything else that is base64 is sent as it is; other text is encoded.
 */
export function readScanFile(file: string): ScanFile {
  const bytes = readBytes(file, MAX_ID_SCAN_BASE64);
  const raw = Buffer.from(bytes);
  if (raw.length === 0) throw refuse(file, 'is empty');
  const compact = raw.toString('latin1').replace(/\s+/g, '');
  const isBase64 = raw[0] !== 0x40 /* @ */ && compact.length >= 4 && BASE64.test(compact);
  const data = isBase64 ? compact : raw.toString('base64');
  if (data.length > MAX_ID_SCAN_BASE64)
    throw refuse(file, `the scan is over the API's limit of ${MAX_ID_SCAN_BASE64} base64 characters`);
  if (data.length < 4) throw refuse(file, 'is too short to be a barcode scan');
  return { path: file, data };
}
