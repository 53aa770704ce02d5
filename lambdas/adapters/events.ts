import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';

import { EVENT_SOURCE, VERIFICATION_COMPLETED } from '../contract';

/** The event's detail: identifiers and the decision only. Fields and flags stay behind GET /result. */
export interface VerificationCompletedDetail {
  verificationId: string;
  customerUid: string;
  action: string | null;
  completedAt: string;
}

export class VerificationEvents {
  readonly #client: EventBridgeClient;
  readonly #busName: string;

  constructor(client: EventBridgeClient, busName: string) {
    this.#client = client;
    this.#busName = busName;
  }

  /**
   * Puts the event. `publisher` (the ARN of the function putting it) goes into its `resources`:
   * a rule of one deployment matches on it when several share a bus.
   */
  async completed(detail: VerificationCompletedDetail, publisher: string): Promise<void> {
    const out = await this.#client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.#busName,
            Source: EVENT_SOURCE,
            DetailType: VERIFICATION_COMPLETED,
            Resources: [publisher],
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    if ((out.FailedEntryCount ?? 0) > 0) {
      throw new Error(`PutEvents refused the event: ${out.Entries?.[0]?.ErrorCode ?? 'unknown'}`);
    }
  }
}
