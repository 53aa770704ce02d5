import { randomBytes } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
export const VERIFICATION_ID_PATTERN = /^vrf_[a-z2-7]{26}$/;

/** Lowercase RFC 4648 base32 without padding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/** `vrf_` + 26 base32 characters of 128 random bits; also a valid Step Functions execution name. */
export function newVerificationId(random: (size: number) => Uint8Array = randomBytes): string {
  return `vrf_${base32(random(16))}`;
}

export function isVerificationId(value: unknown): value is string {
  return typeof value === 'string' && VERIFICATION_ID_PATTERN.test(value);
}

/** 16 hex characters: the nonce in an upload key. */
export function newNonce(random: (size: number) => Uint8Array = randomBytes): string {
  return Buffer.from(random(8)).toString('hex');
}
