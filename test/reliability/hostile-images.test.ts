import { hostileImages, type HostileImage } from '../../local/test-images';
import {
  afterAttempt,
  awaiting,
  createVerification,
  hasStatus,
  newUser,
  upload,
  waitForVerification,
} from '../integration/support/api';
import { berbixTransactionId, objectsOf } from '../integration/support/aws';
import { image } from '../integration/support/images';
import { callsFor } from '../integration/support/sandbox';

/** Runs `task` over `items`, `limit` at a time (the machine is small; the pipeline is not). */
async function inBatches<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += limit) await Promise.all(items.slice(i, i + limit).map(task));
}

/** Taken through to `completed` after their retake; the others stop once Berbix took the retake. */
const COMPLETED_TO_THE_END = ['zip-polyglot.jpg', 'bomb.png', 'scrambled-scan.jpg'];

describe('the hostile image corpus through the real pipeline', () => {
  it('refuses every hostile image before Berbix, with its reason, and goes on with a good retake', async () => {
    const corpus = hostileImages();
    expect(corpus.length).toBeGreaterThanOrEqual(19);
    const seen: Record<
      string,
      { recorded: unknown; uploadsToBerbix: number; objectsKept: number; retake: string }
    > = {};

    // One verification per image: a retake budget can never run out before the good photo comes.
    await inBatches(corpus, 4, async (hostile: HostileImage) => {
      const { token } = await newUser('hostile-');
      const v = await createVerification(token);
      const transactionId = await berbixTransactionId(v.id);

      await upload(v.id, token, 'document_front', { bytes: hostile.bytes, format: hostile.contentType });
      const refused = await waitForVerification(v.id, token, afterAttempt('document_front', 1));
      const uploadsToBerbix = async () =>
        (await callsFor(transactionId)).filter((c) => c.path === '/v0/images/upload').length;
      const berbixUploads = await uploadsToBerbix();
      // The refused bytes are not kept either.
      const keptObjects = (await objectsOf(v.id)).length;

      // The retake is what Berbix sees first, and the flow goes on from it.
      await upload(v.id, token, 'document_front', image('driversLicenseFront'));
      let retake = await waitForVerification(v.id, token, awaiting('upload_document_back'));
      if (COMPLETED_TO_THE_END.includes(hostile.fileName)) {
        await upload(v.id, token, 'document_back', image('driversLicenseBack'));
        retake = await waitForVerification(v.id, token, hasStatus('completed'));
      }

      seen[hostile.fileName] = {
        recorded: { issues: refused.issues, next_step: refused.next_step, ...refused.issue_details },
        uploadsToBerbix: berbixUploads,
        objectsKept: keptObjects,
        retake: `${retake.status} ${retake.next_step} after ${await uploadsToBerbix()} upload(s) to Berbix`,
      };
    });

    expect(seen).toEqual(
      Object.fromEntries(
        corpus.map((h) => [
          h.fileName,
          {
            recorded: {
              issues: ['bad_upload'],
              next_step: 'upload_document_front',
              bad_upload: { reason: h.reason, source: 'local' },
            },
            uploadsToBerbix: 0,
            objectsKept: 0,
            retake: COMPLETED_TO_THE_END.includes(h.fileName)
              ? 'completed done after 2 upload(s) to Berbix'
              : 'awaiting_upload upload_document_back after 1 upload(s) to Berbix',
          },
        ]),
      ),
    );
  }, 240_000);
});
