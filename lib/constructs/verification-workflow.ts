import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TASK_ERRORS } from '../../lambdas/contract';
import { forImageRetention, type AslDefinition } from './verification-definition';
import { acknowledge, logicalIdOf, PROJECT_ROOT } from './verification-function';

/** The state machine definition, `statemachine/verification.asl.json`. */
export const DEFAULT_DEFINITION_FILE = path.join(PROJECT_ROOT, 'statemachine', 'verification.asl.json');

/** The task functions of the state machine, by the name of their ASL substitution (without `FunctionArn`). */
export interface WorkflowFunctions {
  readonly CreateTransaction: IFunction;
  readonly AwaitUpload: IFunction;
  readonly SubmitUpload: IFunction;
  readonly FetchResult: IFunction;
  readonly DeleteImages: IFunction;
  readonly CloseVerification: IFunction;
}

/**
 * How the state machine retries a task after a transient Berbix fault (5xx, 429, timeout, dropped
 * connection, unreadable answer) that outlasted the Berbix client's own retries inside the task.
 * Waits are `interval`, then × `backoffRate` each time, capped at `maxInterval`, without jitter
 * (the client's in-call retries carry jitter), so their sum is a guaranteed minimum outage the
 * pipeline rides out. Applied to every `BerbixTransientError` retrier of the definition.
 */
export interface BerbixRetryProps {
  /**
   * Retries after the first invocation (0 = none), at most 20.
   * @default 6
   */
  readonly attempts?: number;
  /**
   * Wait before the first retry, whole seconds.
   * @default Duration.seconds(2)
   */
  readonly interval?: Duration;
  /**
   * Each wait is the previous one times this (1 to 10).
   * @default 2
   */
  readonly backoffRate?: number;
  /**
   * Cap of one wait, whole seconds, at least `interval`.
   * @default Duration.seconds(30)
   */
  readonly maxInterval?: Duration;
}

export const BERBIX_RETRY_DEFAULTS = {
  attempts: 6,
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxInterval: Duration.seconds(30),
} as const;

/** The waits of a Berbix retry budget, in seconds (their sum is the least time it covers). */
export function berbixRetryWaits(retry: BerbixRetryProps = {}): number[] {
  const { attempts, interval, backoffRate, maxInterval } = resolveBerbixRetry(retry);
  return Array.from({ length: attempts }, (_, i) => Math.min(maxInterval, interval * backoffRate ** i));
}

function resolveBerbixRetry(retry: BerbixRetryProps) {
  const attempts = retry.attempts ?? BERBIX_RETRY_DEFAULTS.attempts;
  const interval = (retry.interval ?? BERBIX_RETRY_DEFAULTS.interval).toSeconds({ integral: false });
  const backoffRate = retry.backoffRate ?? BERBIX_RETRY_DEFAULTS.backoffRate;
  const maxInterval = (retry.maxInterval ?? BERBIX_RETRY_DEFAULTS.maxInterval).toSeconds({ integral: false });
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 20)
    throw new Error(`berbixRetry.attempts must be a whole number from 0 to 20, got ${attempts}`);
  if (!Number.isInteger(interval) || interval < 1 || interval > 3600)
    throw new Error(`berbixRetry.interval must be whole seconds from 1 to 3600, got ${interval}`);
  if (!Number.isFinite(backoffRate) || backoffRate < 1 || backoffRate > 10)
    throw new Error(`berbixRetry.backoffRate must be from 1 to 10, got ${backoffRate}`);
  if (!Number.isInteger(maxInterval) || maxInterval < interval || maxInterval > 3600)
    throw new Error(
      `berbixRetry.maxInterval must be whole seconds from interval to 3600, got ${maxInterval}`,
    );
  return { attempts, interval, backoffRate, maxInterval };
}

interface Retrier {
  ErrorEquals: string[];
  [field: string]: unknown;
}

/** The definition with every `BerbixTransientError` retrier set to the budget. */
function withBerbixRetry(definition: AslDefinition, retry: BerbixRetryProps): AslDefinition {
  const { attempts, interval, backoffRate, maxInterval } = resolveBerbixRetry(retry);
  const parsed = JSON.parse(JSON.stringify(definition)) as AslDefinition;
  for (const state of Object.values(parsed.States) as { Retry?: Retrier[] }[]) {
    state.Retry = state.Retry?.map((r) =>
      r.ErrorEquals.includes(TASK_ERRORS.berbixTransient)
        ? {
            ErrorEquals: r.ErrorEquals,
            IntervalSeconds: interval,
            MaxAttempts: attempts,
            BackoffRate: backoffRate,
            MaxDelaySeconds: maxInterval,
          }
        : r,
    );
  }
  return parsed;
}

export interface VerificationWorkflowProps {
  /** The Lambda functions the definition's `${<Name>FunctionArn}` substitutions point at. */
  readonly functions: WorkflowFunctions;

  /**
   * The ASL file (JSONPath). Kept inline in the template (not an S3 asset) so the local cloud
   * runs exactly what is deployed and no bootstrap bucket is needed.
   * @default `statemachine/verification.asl.json` of this repository
   */
  readonly definitionFile?: string;

  /**
   * The retry budget for transient Berbix faults.
   * @default BERBIX_RETRY_DEFAULTS (6 retries, 2 s doubling up to 30 s: 90 s of waits)
   */
  readonly berbixRetry?: BerbixRetryProps;

  /**
   * How long images are kept after completion. At 0 the definition's image hold (the Wait on
   * `$.imageRetentionSeconds`) is left out and the result goes straight to the image deletion; any
   * other value, or a deploy-time one, keeps it.
   * @default Duration.seconds(0)
   */
  readonly imageRetention?: Duration;

  /**
   * Retention of the execution log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * What happens to the execution log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;

  /**
   * Name of the execution log group; under `/aws/vendedlogs/` CloudWatch needs no per-group
   * resource policy (their size is capped per account).
   * @default `/aws/vendedlogs/states/<stack name>-verification`
   */
  readonly logGroupName?: string;
}

/**
 * The Standard verification state machine: its definition from the ASL file with the function
 * ARNs substituted, the Berbix retry budget written in and, with no image retention, no image
 * hold; X-Ray tracing, and logging of every event WITHOUT execution data (state I/O
 * carries ids only, but the log must not become a second copy of anything).
 */
export class VerificationWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: VerificationWorkflowProps) {
    super(scope, id);
    const {
      functions,
      definitionFile = DEFAULT_DEFINITION_FILE,
      logRetention = RetentionDays.ONE_MONTH,
      logRemovalPolicy = RemovalPolicy.DESTROY,
    } = props;

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: props.logGroupName ?? `/aws/vendedlogs/states/${Stack.of(this).stackName}-verification`,
      retention: logRetention,
      removalPolicy: logRemovalPolicy,
    });

    // A deploy-time retention (a token) is unknown here: the hold stays and waits what it says.
    const imageRetention = props.imageRetention ?? Duration.seconds(0);
    const retention = imageRetention.isUnresolved() ? undefined : imageRetention.toSeconds();

    const definitionSubstitutions: Record<string, string> = {};
    for (const [name, fn] of Object.entries(functions) as [string, IFunction][]) {
      definitionSubstitutions[`${name}FunctionArn`] = fn.functionArn;
    }

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(
        JSON.stringify(
          withBerbixRetry(
            forImageRetention(JSON.parse(readFileSync(definitionFile, 'utf8')) as AslDefinition, retention),
            props.berbixRetry ?? {},
          ),
          null,
          2,
        ),
      ),
      definitionSubstitutions,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });

    // The definition is a string, so CDK cannot see which functions it invokes: grant each one.
    for (const fn of Object.values(functions) as IFunction[]) {
      fn.grantInvoke(this.stateMachine);
      acknowledge(
        this.stateMachine,
        `AwsSolutions-IAM5[Resource::<${logicalIdOf(fn)}.Arn>:*]`,
        'grantInvoke includes the versions/aliases of this one task function (Resource <fn>:*).',
      );
    }
    acknowledge(
      this.stateMachine,
      'AwsSolutions-IAM5[Resource::*]',
      'CloudWatch Logs delivery (logs:*LogDelivery*, DescribeResourcePolicies) and X-Ray actions support no resource-level permissions.',
    );
  }
}
