import { UPLOADS_PREFIX } from '../contract/bucket';
import { isVerificationId } from './ids';
import type { UploadStep } from './steps';

export type UploadExtension = 'jpg' | 'png' | 'pdf417';

export interface UploadKey {
  verificationId: string;
  step: UploadStep;
  attempt: number;
  nonce: string;
  ext: UploadExtension;
}

const KEY_PATTERN =
  /^uploads\/(vrf_[a-z2-7]{26})\/(document_front|document_back|id_scan)\/([1-9][0-9]{0,5})-([0-9a-f]{16})\.(jpg|png|pdf417)$/;

/** Everything stored for one verification lives under this prefix. */
export function verificationPrefix(verificationId: string): string {
  if (!isVerificationId(verificationId)) throw new Error('invalid verification id');
  return `${UPLOADS_PREFIX}${verificationId}/`;
}

function extensionFits(step: UploadStep, ext: UploadExtension): boolean {
  return step === 'id_scan' ? ext === 'pdf417' : ext === 'jpg' || ext === 'png';
}

export function buildUploadKey(key: UploadKey): string {
  const built = `${verificationPrefix(key.verificationId)}${key.step}/${key.attempt}-${key.nonce}.${key.ext}`;
  if (parseUploadKey(built) === undefined) throw new Error('invalid upload key parts');
  return built;
}

/** The only reader of upload keys: anything not built by buildUploadKey is undefined. */
export function parseUploadKey(key: string): UploadKey | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const [, verificationId, step, attempt, nonce, ext] = match as unknown as [
    string,
    string,
    UploadStep,
    string,
    string,
    UploadExtension,
  ];
  if (!extensionFits(step, ext)) return undefined;
  return { verificationId, step, attempt: Number(attempt), nonce, ext };
}

export function extensionForContentType(contentType: 'image/jpeg' | 'image/png'): 'jpg' | 'png' {
  return contentType === 'image/png' ? 'png' : 'jpg';
}
