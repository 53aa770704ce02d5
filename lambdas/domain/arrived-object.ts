import type { ClaimedObject, Verification } from './verification';

/**
 * What becomes of an object under `uploads/` that claimed no wait:
 * - `resume_again`: it is the object claimed for the current wait (an S3 redelivery; the first
 *   resume may not have landed);
 * - `keep`: it was submitted already and is unchanged (a redelivered or out-of-order event);
 * - `overwritten`: a re-post to an old form replaced a submitted object with bytes nobody checked;
 * - `delete`: stale, late or unexpected, or the verification keeps no images any more.
 */
export type ArrivedObjectFate = 'resume_again' | 'keep' | 'overwritten' | 'delete';

/** What an S3 event says about the write it reports. */
export type ObjectWrite = Omit<ClaimedObject, 'key'>;

/** Images are kept while the flow runs and during the hold after completion, never after. */
function keepsImages(v: Verification): boolean {
  if (v.status === 'completed') return v.imagesDeletedAt === undefined;
  return v.status === 'awaiting_upload' || v.status === 'processing';
}

/**
 * S3 sequencers order the writes to one key: hexadecimal strings of varying length, compared after
 * left-padding the shorter with zeros.
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const [x, y] = [a.toUpperCase().padStart(width, '0'), b.toUpperCase().padStart(width, '0')];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Whether `write` came after the claimed write of the same key, with other bytes. */
function isLaterWrite(claimed: ClaimedObject, write: ObjectWrite): boolean {
  if (claimed.eTag !== undefined && claimed.eTag === write.eTag) return false;
  if (claimed.sequencer !== undefined && write.sequencer !== undefined) {
    return compareSequencers(write.sequencer, claimed.sequencer) > 0;
  }
  // Nothing orders the two writes: the bytes differ, and what was checked may be gone.
  return claimed.eTag !== undefined && write.eTag !== undefined;
}

/** Decides the fate of an object that arrived under `key`, as its S3 event describes the write. */
export function arrivedObjectFate(
  v: Verification | undefined,
  key: string,
  write: ObjectWrite,
): ArrivedObjectFate {
  if (!v || !keepsImages(v)) return 'delete';
  if (v.awaiting?.uploadKey === key) return 'resume_again';
  const submitted = v.lastSubmittedKey === key || Object.values(v.acceptedKeys ?? {}).includes(key);
  if (!submitted) return 'delete';
  const claims = (v.claimedObjects ?? []).filter((o) => o.key === key);
  // Claimed before writes were recorded: nothing to compare with.
  if (claims.length === 0) return 'keep';
  return claims.every((claimed) => isLaterWrite(claimed, write)) ? 'overwritten' : 'keep';
}
