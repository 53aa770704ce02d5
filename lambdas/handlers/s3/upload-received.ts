import type { S3Event, S3EventRecord } from 'aws-lambda';
import { repository } from '../../composition/repository';
import { uploadStore } from '../../composition/upload-store';
import { workflow } from '../../composition/workflow';
import { parseUploadKey, type ObjectWrite } from '../../domain';
import { logger, taskHandler } from '../../middleware';
import { receiveUpload } from '../../use-cases/receive-upload';

/** S3 event keys are URL-encoded with `+` for spaces. */
const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

/** The event's ETag and sequencer, when it has them. */
function writeOf(record: S3EventRecord): ObjectWrite {
  const { eTag, sequencer } = record.s3.object as { eTag?: unknown; sequencer?: unknown };
  const present = (v: unknown): v is string => typeof v === 'string' && v !== '';
  return { ...(present(eTag) ? { eTag } : {}), ...(present(sequencer) ? { sequencer } : {}) };
}

/** ObjectCreated under `uploads/`: each object, one after the other, resumes its wait or is dropped. */
export const handler = taskHandler(async (event: S3Event): Promise<void> => {
  for (const record of event.Records ?? []) {
    const key = decodeKey(record.s3.object.key);
    const disposition = await receiveUpload(
      { repository, uploads: uploadStore, workflow },
      key,
      writeOf(record),
    );
    const parsed = parseUploadKey(key);
    logger.info('Upload received', {
      verificationId: parsed?.verificationId,
      step: parsed?.step,
      attempt: parsed?.attempt,
      disposition,
    });
  }
});
