/** Execution histories from the local Step Functions emulator, turned into timed state visits. */
import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import type { CloudInfo } from './cloud';

export interface StateVisit {
  /** State name and its visit number in this execution, e.g. `SubmitUpload#2`. */
  key: string;
  name: string;
  type: string;
  enteredAt: number;
  exitedAt?: number;
  /** A callback task: when its function returned (the wait is armed). */
  submittedAt?: number;
  /** A task: when it was scheduled and when it ended (succeeded or failed). */
  scheduledAt?: number;
  taskEndedAt?: number;
  failures: number;
}

export interface ExecutionTimeline {
  events: HistoryEvent[];
  visits: StateVisit[];
  /** Each `*StateEntered` event is one billed state transition. */
  stateTransitions: number;
  lambdaTasks: number;
  status?: string;
}

export function sfnClient(cloud: Pick<CloudInfo, 'endpoints' | 'credentials'>): SFNClient {
  return new SFNClient({
    endpoint: cloud.endpoints.sfn,
    region: cloud.credentials.region,
    credentials: cloud.credentials,
  });
}

export const executionArnOf = (stateMachineArn: string, verificationId: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${verificationId}`;

export async function executionHistory(
  client: SFNClient,
  executionArn: string,
  includeExecutionData = false,
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetExecutionHistoryCommand({
        executionArn,
        nextToken,
        maxResults: 1000,
        includeExecutionData,
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const time = (e: HistoryEvent) => new Date(e.timestamp!).getTime();

/** State visits in order, with the task events that happened inside each. */
export function timelineOf(events: HistoryEvent[]): ExecutionTimeline {
  const visits: StateVisit[] = [];
  const seen = new Map<string, number>();
  let current: StateVisit | undefined;
  let lambdaTasks = 0;
  let status: string | undefined;
  for (const e of events) {
    const type = e.type ?? '';
    if (type.endsWith('StateEntered')) {
      const name = e.stateEnteredEventDetails?.name ?? '?';
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      current = {
        key: `${name}#${n}`,
        name,
        type: type.replace('StateEntered', ''),
        enteredAt: time(e),
        failures: 0,
      };
      visits.push(current);
    } else if (type.endsWith('StateExited')) {
      if (current) current.exitedAt = time(e);
    } else if (type === 'TaskScheduled' || type === 'LambdaFunctionScheduled') {
      lambdaTasks += 1;
      if (current) current.scheduledAt ??= time(e);
    } else if (type === 'TaskSubmitted') {
      if (current) current.submittedAt = time(e);
    } else if (/^(Task|LambdaFunction)(Succeeded|Failed|TimedOut)$/.test(type)) {
      if (current) current.taskEndedAt = time(e);
      if (/Failed|TimedOut/.test(type) && current) current.failures += 1;
    } else if (/^Execution(Succeeded|Failed|TimedOut|Aborted)$/.test(type)) {
      status = type.replace('Execution', '').toUpperCase();
    }
  }
  const stateTransitions = events.filter((e) => (e.type ?? '').endsWith('StateEntered')).length;
  return { events, visits, stateTransitions, lambdaTasks, status };
}

/** The first visit of a state (or its n-th), if the execution went through it. */
export const visit = (t: ExecutionTimeline, name: string, n = 1): StateVisit | undefined =>
  t.visits.find((v) => v.key === `${name}#${n}`);
