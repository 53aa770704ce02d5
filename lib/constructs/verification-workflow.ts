import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
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
   * Retention of the execution log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * What happens to the execution log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The Standard verification state machine: its definition from the ASL file with the function
 * ARNs substituted, X-Ray tracing, and logging of every event WITHOUT execution data (state I/O
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
      // Under /aws/vendedlogs/ CloudWatch needs no per-group resource policy (their size is capped per account).
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-verification`,
      retention: logRetention,
      removalPolicy: logRemovalPolicy,
    });

    const definitionSubstitutions: Record<string, string> = {};
    for (const [name, fn] of Object.entries(functions) as [string, IFunction][]) {
      definitionSubstitutions[`${name}FunctionArn`] = fn.functionArn;
    }

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(readFileSync(definitionFile, 'utf8')),
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
