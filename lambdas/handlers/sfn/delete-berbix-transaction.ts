import { berbixClient } from '../../composition/berbix';
import { repository } from '../../composition/repository';
import { loadConfig } from '../../contract/env';
import { taskHandler } from '../../middleware';
import { deleteBerbixTransaction, type DeletionStep } from '../../use-cases/berbix-deletion';

const config = loadConfig([
  'berbixDeletionRetrySeconds',
  'berbixDeletionGiveUpSeconds',
  'berbixCreateWindowSeconds',
]);

export type { DeletionStep };

/** DeleteBerbixTransaction (the Berbix deletion state machine): one try, and when to try again. */
export const handler = taskHandler(
  (input: { verificationId: string; startedAt: string }): Promise<DeletionStep> =>
    deleteBerbixTransaction({ repository, berbixClient, config }, input),
);
