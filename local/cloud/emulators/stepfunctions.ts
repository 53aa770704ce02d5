import { randomBytes, randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { AwsServiceError, optionalString, requireString, startAwsJsonServer } from './aws-json';
import { MAX_TIMER_SECONDS, readLocalTaskInput, rewriteDefinition, type LocalTaskInput } from './asl-rewrite';

/** Invokes a Lambda function by name or ARN; throws an Error whose `name` is the Lambda errorType on a function error. */
export interface LambdaInvoker {
  (functionName: string, payload: unknown): Promise<unknown>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionEvent {
  executionArn: string;
  /** The history event type, as GetExecutionHistory reports it (`TaskStateEntered`, `ExecutionFailed`, …). */
  type: string;
  stateName?: string;
}

export interface StepFunctionsOptions {
  /** @default 0 (a free port) */
  port?: number;
  invoke: LambdaInvoker;
  /** @default 'us-east-1' */
  region?: string;
  /** @default '000000000000' */
  accountId?: string;
  onExecutionEvent?: (event: ExecutionEvent) => void;
  /** Passed to aws-local-stepfunctions: per state name, the retry wait in ms (e.g. 0 in tests). */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /** Passed to aws-local-stepfunctions: per Wait state name, the wait in ms. */
  waitTimeOverrides?: Record<string, number>;
  /**
   * Multiplies every retrier's waits (IntervalSeconds and MaxDelaySeconds; backoff and jitter
   * unchanged), so tests can run the real retry budgets in a fraction of the time: 0.01 turns a
   * 2 s wait into 20 ms. @default 1 (as on AWS)
   */
  retryTimeScale?: number;
}

/** What DescribeExecution returns (dates as Date). */
export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

export interface StepFunctionsEmulator {
  endpoint: string;
  /** Registers (or replaces) a state machine; throws if the definition is not valid ASL. */
  registerStateMachine(arn: string, definition: string): void;
  /** Resolves once the execution has stopped, whatever its status. */
  waitForExecution(executionArn: string): Promise<ExecutionDescription>;
  close(): Promise<void>;
}

interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

interface RegisteredStateMachine {
  arn: string;
  name: string;
  definition: string;
  machine: StateMachine;
  taskStateNames: string[];
  creationDate: Date;
}

interface Execution extends ExecutionDescription {
  events: HistoryEvent[];
  abort: () => void;
  /** Task tokens of this execution still waiting. */
  tokens: Set<string>;
  done: Promise<void>;
}

interface PendingTask {
  execution: Execution;
  resolve(output: unknown): void;
  reject(error: Error): void;
  resource: string;
  heartbeatSeconds?: number;
  heartbeatTimer?: NodeJS.Timeout;
}

type LocalTask = LocalTaskInput & { holder: Record<string, unknown> };
type TaskHandler = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>[string];
type Json = Parameters<TaskHandler>[0];

/** The library never fills `$$.Task.Token`: it gets this, and each task swaps it for a fresh token. */
const TOKEN_PLACEHOLDER = 'sfn-local-task-token-placeholder';
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{86}$/;
const MAX_PAYLOAD_CHARS = 256 * 1024;
const LAMBDA_INVOKE = /^arn:[\w-]+:states:::lambda:invoke(\.waitForTaskToken)?$/;
const LAMBDA_FUNCTION_ARN = /^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/;
// Whitespace, the characters AWS forbids in names, and control characters.
// eslint-disable-next-line no-control-regex
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

/**
 * The Step Functions API (AWS JSON 1.0) over aws-local-stepfunctions, with the callback pattern
 * made real: task tokens, SendTaskSuccess/Failure/Heartbeat, and enforced wait timeouts.
 */
export async function startStepFunctions(opts: StepFunctionsOptions): Promise<StepFunctionsEmulator> {
  const stateMachines = new Map<string, RegisteredStateMachine>();
  const executions = new Map<string, Execution>();
  const pending = new Map<string, PendingTask>();
  /** Tokens that existed and are no longer waiting (resumed, failed, timed out, stopped). */
  const ended = new Set<string>();
  const region = opts.region ?? 'us-east-1';

  const record = (
    execution: Execution,
    type: string,
    details: Record<string, unknown> = {},
    stateName?: string,
  ) => {
    const id = execution.events.length + 1;
    execution.events.push({ id, previousEventId: id - 1, timestamp: new Date(), type, ...details });
    try {
      opts.onExecutionEvent?.({ executionArn: execution.executionArn, type, stateName });
    } catch (error) {
      console.error('[local-sfn] onExecutionEvent listener failed', error);
    }
  };

  const endToken = (token: string) => {
    const task = pending.get(token);
    if (!task) return undefined;
    clearTimeout(task.heartbeatTimer);
    pending.delete(token);
    task.execution.tokens.delete(token);
    ended.add(token);
    return task;
  };

  const finish = (execution: Execution, status: ExecutionStatus, fields: Partial<ExecutionDescription>) => {
    if (execution.status !== 'RUNNING') return;
    Object.assign(execution, fields, { status, stopDate: new Date() });
    // Settle the waits too: the library clears its own task timers only when a task settles.
    for (const token of [...execution.tokens]) {
      endToken(token)?.reject(runtimeError(`The execution ended (${status})`));
    }
  };

  // ---- Task states -------------------------------------------------------------------------

  const invokeLambda = async (functionName: string, payload: unknown): Promise<unknown> => {
    try {
      return await opts.invoke(functionName, payload);
    } catch (error) {
      throw lambdaFunctionError(error);
    }
  };

  const runTask = (execution: Execution, input: Json): Promise<Json> => {
    let task: LocalTask;
    try {
      task = readLocalTaskInput(input);
    } catch (error) {
      // A bad TimeoutSecondsPath value: the library rejects it itself right after this call.
      if ((error as Error).message.startsWith('TimeoutSecondsPath')) return new Promise<Json>(() => {});
      return Promise.reject(runtimeError((error as Error).message));
    }
    // Clamp in place, synchronously: the library reads this very object for its timer next.
    if (task.timeout > MAX_TIMER_SECONDS) task.holder.timeout = task.timeout = MAX_TIMER_SECONDS;
    const started = { token: undefined as string | undefined, timedOut: false };
    // Same delay, created before the library's own timer: the token ends before it raises States.Timeout.
    const timer = setTimeout(() => {
      started.timedOut = true;
      if (started.token) endToken(started.token);
      if (execution.status === 'RUNNING') {
        record(execution, 'TaskTimedOut', {
          taskTimedOutEventDetails: { ...resourceFields(task.resource), error: 'States.Timeout' },
        });
      }
    }, task.timeout * 1000);
    timer.unref();
    return executeTask(execution, task, started).finally(() => clearTimeout(timer)) as Promise<Json>;
  };

  const executeTask = async (
    execution: Execution,
    task: LocalTask,
    started: { token?: string; timedOut: boolean },
  ): Promise<unknown> => {
    // Let the library's StateEntered event reach the history before this task's events.
    await nextTurn();
    if (execution.status !== 'RUNNING') throw runtimeError('The execution has stopped');
    const match = LAMBDA_INVOKE.exec(task.resource);
    if (!match) {
      if (LAMBDA_FUNCTION_ARN.test(task.resource))
        return invokeFunctionResource(execution, task.resource, task.payload);
      throw runtimeError(`Unsupported Task resource in the local cloud: ${task.resource}`);
    }
    const params = isObject(task.payload) ? task.payload : {};
    const functionName = params.FunctionName;
    if (typeof functionName !== 'string' || functionName.length === 0) {
      throw runtimeError('lambda:invoke needs Parameters.FunctionName');
    }
    const fields = resourceFields(task.resource);
    const callback = match[1] !== undefined;
    const token = callback ? newTaskToken() : undefined;
    const parameters = token ? replaceDeep(params, TOKEN_PLACEHOLDER, token) : params;
    const payload = parameters.Payload ?? {};
    const asyncInvoke = parameters.InvocationType === 'Event';
    record(execution, 'TaskScheduled', {
      taskScheduledEventDetails: {
        ...fields,
        region,
        parameters: JSON.stringify(parameters),
        timeoutInSeconds: task.timeout,
        ...(task.heartbeat ? { heartbeatInSeconds: task.heartbeat } : {}),
      },
    });
    record(execution, 'TaskStarted', { taskStartedEventDetails: fields });

    if (!token) {
      try {
        let output;
        if (asyncInvoke) {
          // InvocationType Event: AWS answers 202 at once and never reports the function's outcome.
          invokeLambda(functionName, payload).catch(() => undefined);
          output = invokeOutput('', 202);
        } else {
          output = invokeOutput(await invokeLambda(functionName, payload), 200);
        }
        if (!started.timedOut)
          record(execution, 'TaskSucceeded', {
            taskSucceededEventDetails: { ...fields, output: JSON.stringify(output) },
          });
        return output;
      } catch (error) {
        recordTaskFailed(execution, fields, error, started.timedOut);
        throw error;
      }
    }

    // Callback pattern: the token waits until SendTaskSuccess/Failure, a timeout, or a stop.
    const waiting = new Promise<unknown>((resolve, reject) => {
      const entry: PendingTask = {
        execution,
        resolve,
        reject,
        resource: task.resource,
        heartbeatSeconds: task.heartbeat,
      };
      pending.set(token, entry);
      execution.tokens.add(token);
      armHeartbeat(token, entry);
    });
    started.token = token;
    if (started.timedOut) endToken(token);
    // Not awaited: SendTaskSuccess may come before the function returns (or, for InvocationType Event, instead).
    void invokeLambda(functionName, payload).then(
      () => {
        if (pending.has(token)) record(execution, 'TaskSubmitted', { taskSubmittedEventDetails: fields });
      },
      (error: Error) => {
        // A failed invocation fails the task (unless the wait already ended).
        const entry = endToken(token);
        entry?.reject(error);
      },
    );
    try {
      const output = await waiting;
      record(execution, 'TaskSucceeded', {
        taskSucceededEventDetails: { ...fields, output: JSON.stringify(output) },
      });
      return output;
    } catch (error) {
      // A heartbeat timeout already has its TaskTimedOut event.
      recordTaskFailed(execution, fields, error, (error as Error).name === 'States.HeartbeatTimeout');
      throw error;
    }
  };

  const invokeFunctionResource = async (execution: Execution, arn: string, payload: unknown) => {
    record(execution, 'LambdaFunctionScheduled', {
      lambdaFunctionScheduledEventDetails: { resource: arn, input: JSON.stringify(payload) },
    });
    record(execution, 'LambdaFunctionStarted');
    try {
      const output = (await invokeLambda(arn, payload)) ?? null;
      record(execution, 'LambdaFunctionSucceeded', {
        lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output) },
      });
      return output;
    } catch (error) {
      const { name, message } = error as Error;
      record(execution, 'LambdaFunctionFailed', {
        lambdaFunctionFailedEventDetails: { error: name, cause: message },
      });
      throw error;
    }
  };

  const recordTaskFailed = (execution: Execution, fields: object, error: unknown, timedOut: boolean) => {
    if (timedOut || execution.status !== 'RUNNING') return;
    const { name, message } = error as Error;
    record(execution, 'TaskFailed', { taskFailedEventDetails: { ...fields, error: name, cause: message } });
  };

  const armHeartbeat = (token: string, entry: PendingTask) => {
    clearTimeout(entry.heartbeatTimer);
    if (!entry.heartbeatSeconds) return;
    entry.heartbeatTimer = setTimeout(
      () => {
        if (!endToken(token)) return;
        record(entry.execution, 'TaskTimedOut', {
          taskTimedOutEventDetails: { ...resourceFields(entry.resource), error: 'States.HeartbeatTimeout' },
        });
        entry.reject(
          Object.assign(new Error('Task heartbeat timed out'), { name: 'States.HeartbeatTimeout' }),
        );
      },
      Math.min(entry.heartbeatSeconds, MAX_TIMER_SECONDS) * 1000,
    );
    entry.heartbeatTimer.unref();
  };

  // ---- Executions --------------------------------------------------------------------------

  const startExecution = (input: Record<string, unknown>) => {
    const stateMachineArn = requireString(input, 'stateMachineArn');
    const machine = stateMachines.get(stateMachineArn);
    if (!machine)
      throw new AwsServiceError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    const name = optionalString(input, 'name') ?? randomUUID();
    if (name.length > 80 || INVALID_NAME.test(name))
      throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`);
    const rawInput = optionalString(input, 'input') ?? '{}';
    if (rawInput.length > MAX_PAYLOAD_CHARS)
      throw new AwsServiceError('InvalidExecutionInput', 'Input is too large');
    let parsedInput: Json;
    try {
      parsedInput = JSON.parse(rawInput) as Json;
    } catch {
      throw new AwsServiceError(
        'InvalidExecutionInput',
        'Invalid State Machine Execution Input: not valid JSON',
      );
    }
    const executionArn = executionArnOf(stateMachineArn, name);
    const existing = executions.get(executionArn);
    if (existing) {
      // Like AWS (Standard): the same name and input while running is the same execution.
      if (existing.status === 'RUNNING' && existing.input === rawInput) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }

    const execution: Execution = {
      executionArn,
      stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: new Date(),
      input: rawInput,
      events: [],
      tokens: new Set(),
      abort: () => undefined,
      done: Promise.resolve(),
    };
    executions.set(executionArn, execution);
    const handler: TaskHandler = (taskInput) => runTask(execution, taskInput);
    const run = machine.machine.run(parsedInput, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(machine.taskStateNames.map((n) => [n, handler])),
        retryIntervalOverrides: opts.retryIntervalOverrides,
        waitTimeOverrides: opts.waitTimeOverrides,
      },
      context: {
        Execution: { Id: executionArn, Name: name, RoleArn: roleArnOf(stateMachineArn), RedriveCount: 0 },
        StateMachine: { Id: stateMachineArn, Name: machine.name },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    });
    execution.abort = run.abort;
    const history = recordHistory(execution, run.eventLogs);
    execution.done = run.result.then(
      async (output) => {
        await history;
        finish(execution, 'SUCCEEDED', { output: JSON.stringify(output) });
      },
      async (error: unknown) => {
        await history;
        const cause = (error as { cause?: unknown }).cause;
        if ((error as Error).name === 'ExecutionTimeoutError') {
          finish(execution, 'TIMED_OUT', { error: 'States.Timeout' });
        } else if (cause instanceof Error) {
          finish(execution, 'FAILED', { error: cause.name, cause: cause.message });
        } else {
          finish(execution, 'FAILED', { error: 'States.Runtime', cause: String((error as Error).message) });
        }
      },
    );
    return { executionArn, startDate: execution.startDate };
  };

  /** Turns the library's event stream into Step Functions history events. */
  const recordHistory = async (execution: Execution, events: AsyncGenerator<LibraryEvent>) => {
    for await (const event of events) {
      const state = event.state;
      switch (event.type) {
        case 'ExecutionStarted':
          record(execution, 'ExecutionStarted', {
            executionStartedEventDetails: {
              input: execution.input,
              inputDetails: { truncated: false },
              roleArn: roleArnOf(execution.stateMachineArn),
            },
          });
          break;
        case 'StateEntered':
          if (state) {
            record(
              execution,
              `${state.type}StateEntered`,
              {
                stateEnteredEventDetails: {
                  name: state.name,
                  input: JSON.stringify(state.input),
                  inputDetails: { truncated: false },
                },
              },
              state.name,
            );
          }
          break;
        case 'StateExited':
          if (state) {
            record(
              execution,
              `${state.type}StateExited`,
              {
                stateExitedEventDetails: {
                  name: state.name,
                  output: JSON.stringify(state.output ?? null),
                  outputDetails: { truncated: false },
                },
              },
              state.name,
            );
          }
          break;
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed': {
          const key = `${event.type[0]?.toLowerCase()}${event.type.slice(1)}EventDetails`;
          record(execution, event.type, { [key]: { name: event.parentState?.name, index: event.index } });
          break;
        }
        case 'ExecutionSucceeded':
          if (execution.status === 'RUNNING') {
            const output = JSON.stringify(event.output ?? null);
            record(execution, 'ExecutionSucceeded', {
              executionSucceededEventDetails: { output, outputDetails: { truncated: false } },
            });
            finish(execution, 'SUCCEEDED', { output });
          }
          break;
        case 'ExecutionFailed':
          if (execution.status === 'RUNNING') {
            const error = String(event.Error ?? 'States.Runtime');
            const cause = typeof event.Cause === 'string' ? event.Cause : errorMessage(event.Cause);
            record(execution, 'ExecutionFailed', { executionFailedEventDetails: { error, cause } });
            finish(execution, 'FAILED', { error, cause });
          }
          break;
        case 'ExecutionTimeout':
          if (execution.status === 'RUNNING') {
            record(execution, 'ExecutionTimedOut', {
              executionTimedOutEventDetails: { error: 'States.Timeout' },
            });
            finish(execution, 'TIMED_OUT', { error: 'States.Timeout' });
          }
          break;
        // StateFailed/Retried/Caught have no history event of their own on AWS: the Task* events
        // recorded by the task handler and the next StateEntered tell that story.
        default:
          break;
      }
    }
  };

  const stopExecution = (input: Record<string, unknown>) => {
    const execution = getExecution(input);
    const error = optionalString(input, 'error');
    const cause = optionalString(input, 'cause');
    if (execution.status === 'RUNNING') {
      record(execution, 'ExecutionAborted', { executionAbortedEventDetails: { error, cause } });
      finish(execution, 'ABORTED', { error, cause });
      execution.abort();
    }
    return { stopDate: execution.stopDate };
  };

  const getExecution = (input: Record<string, unknown>) => {
    const executionArn = requireString(input, 'executionArn');
    const execution = executions.get(executionArn);
    if (!execution)
      throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  };

  // ---- Task tokens -------------------------------------------------------------------------

  const pendingTask = (input: Record<string, unknown>) => {
    const token = requireString(input, 'taskToken');
    if (!TOKEN_PATTERN.test(token)) throw new AwsServiceError('InvalidToken', 'Invalid Token');
    const task = pending.get(token);
    if (task) return { token, task };
    if (ended.has(token)) {
      throw new AwsServiceError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    }
    throw new AwsServiceError('TaskDoesNotExist', 'Task Does Not Exist');
  };

  const operations = {
    'AWSStepFunctions.StartExecution': startExecution,
    'AWSStepFunctions.StopExecution': stopExecution,
    'AWSStepFunctions.DescribeExecution': (input: Record<string, unknown>) => describe(getExecution(input)),
    'AWSStepFunctions.ListExecutions': (input: Record<string, unknown>) => {
      const stateMachineArn = requireString(input, 'stateMachineArn');
      if (!stateMachines.has(stateMachineArn)) {
        throw new AwsServiceError(
          'StateMachineDoesNotExist',
          `State Machine Does Not Exist: '${stateMachineArn}'`,
        );
      }
      const statusFilter = optionalString(input, 'statusFilter');
      const matching = [...executions.values()]
        .filter((e) => e.stateMachineArn === stateMachineArn && (!statusFilter || e.status === statusFilter))
        .reverse()
        .map(({ executionArn, name, status, startDate, stopDate }) => ({
          executionArn,
          stateMachineArn,
          name,
          status,
          startDate,
          stopDate,
        }));
      const { items, nextToken } = paginate(matching, input);
      return { executions: items, nextToken };
    },
    'AWSStepFunctions.GetExecutionHistory': (input: Record<string, unknown>) => {
      const execution = getExecution(input);
      const withData = input.includeExecutionData !== false;
      let events = execution.events.map((event) => (withData ? event : withoutData(event)));
      if (input.reverseOrder === true) events = events.reverse();
      const { items, nextToken } = paginate(events, input);
      return { events: items, nextToken };
    },
    'AWSStepFunctions.SendTaskSuccess': (input: Record<string, unknown>) => {
      const output = requireString(input, 'output');
      let parsed: unknown;
      try {
        if (output.length > MAX_PAYLOAD_CHARS) throw new Error('too large');
        parsed = JSON.parse(output);
      } catch {
        throw new AwsServiceError('InvalidOutput', 'Invalid Output: must be JSON of at most 256 KiB');
      }
      const { token } = pendingTask(input);
      endToken(token)?.resolve(parsed);
      return {};
    },
    'AWSStepFunctions.SendTaskFailure': (input: Record<string, unknown>) => {
      const error = optionalString(input, 'error') ?? '';
      const cause = optionalString(input, 'cause') ?? '';
      const { token } = pendingTask(input);
      endToken(token)?.reject(Object.assign(new Error(cause), { name: error }));
      return {};
    },
    'AWSStepFunctions.SendTaskHeartbeat': (input: Record<string, unknown>) => {
      const { token, task } = pendingTask(input);
      armHeartbeat(token, task);
      return {};
    },
    'AWSStepFunctions.DescribeStateMachine': (input: Record<string, unknown>) => {
      const machine = getStateMachine(input);
      return {
        stateMachineArn: machine.arn,
        name: machine.name,
        status: 'ACTIVE',
        definition: machine.definition,
        roleArn: roleArnOf(machine.arn),
        type: 'STANDARD',
        creationDate: machine.creationDate,
      };
    },
    'AWSStepFunctions.ListStateMachines': (input: Record<string, unknown>) => {
      const all = [...stateMachines.values()].map(({ arn, name, creationDate }) => ({
        stateMachineArn: arn,
        name,
        type: 'STANDARD',
        creationDate,
      }));
      const { items, nextToken } = paginate(all, input);
      return { stateMachines: items, nextToken };
    },
  };

  const getStateMachine = (input: Record<string, unknown>) => {
    const arn = requireString(input, 'stateMachineArn');
    const machine = stateMachines.get(arn);
    if (!machine)
      throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  };

  const server = await startAwsJsonServer({ port: opts.port, operations });

  return {
    endpoint: server.endpoint,
    registerStateMachine(arn, definition) {
      const name = /^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:([\w-]{1,80})$/.exec(arn)?.[1];
      if (!name) throw new Error(`Not a state machine ARN: ${arn}`);
      const parsed = JSON.parse(definition) as Record<string, unknown>;
      // Validates the definition as written; the rewritten copy differs only in ways we control.
      new StateMachine(parsed as unknown as StateMachineDefinition);
      const rewritten = rewriteDefinition(parsed);
      if (opts.retryTimeScale !== undefined && opts.retryTimeScale !== 1)
        scaleRetryWaits(rewritten.definition, opts.retryTimeScale);
      const machine = new StateMachine(rewritten.definition as unknown as StateMachineDefinition, {
        validationOptions: { noValidate: true },
      });
      stateMachines.set(arn, {
        arn,
        name,
        definition,
        machine,
        taskStateNames: rewritten.taskStateNames,
        creationDate: stateMachines.get(arn)?.creationDate ?? new Date(),
      });
    },
    async waitForExecution(executionArn) {
      const execution = executions.get(executionArn);
      if (!execution) throw new Error(`No execution ${executionArn}`);
      await execution.done;
      return describe(execution);
    },
    async close() {
      for (const execution of executions.values()) {
        if (execution.status === 'RUNNING') {
          finish(execution, 'ABORTED', { error: 'LocalCloudStopped' });
          execution.abort();
        }
      }
      await Promise.all([...executions.values()].map((e) => e.done.catch(() => undefined)));
      await server.close();
    },
  };
}

interface LibraryEvent {
  type: string;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
  output?: unknown;
  Error?: unknown;
  Cause?: unknown;
}

/** Scales the waits of every retrier in the definition, nested states included (in place). */
function scaleRetryWaits(node: unknown, scale: number): void {
  if (!(scale >= 0 && Number.isFinite(scale))) throw new Error('retryTimeScale must be a number >= 0');
  if (Array.isArray(node)) return node.forEach((n) => scaleRetryWaits(n, scale));
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'Retry' && Array.isArray(value)) {
      for (const retrier of value.filter(isObject)) {
        // The ASL default is 1 s.
        retrier.IntervalSeconds =
          (typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1) * scale;
        if (typeof retrier.MaxDelaySeconds === 'number') retrier.MaxDelaySeconds *= scale;
      }
    } else {
      scaleRetryWaits(value, scale);
    }
  }
}

function describe(execution: Execution): ExecutionDescription {
  const { executionArn, stateMachineArn, name, status, startDate, stopDate, input, output, error, cause } =
    execution;
  return { executionArn, stateMachineArn, name, status, startDate, stopDate, input, output, error, cause };
}

/** The `{StatusCode, Payload, …}` shape the optimized lambda:invoke integration returns. */
function invokeOutput(payload: unknown, statusCode: number) {
  const requestId = randomUUID();
  const headers = {
    'Content-Type': 'application/json',
    'X-Amz-Executed-Version': '$LATEST',
    'x-amzn-RequestId': requestId,
  };
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload ?? null,
    SdkHttpMetadata: {
      AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      HttpHeaders: headers,
      HttpStatusCode: statusCode,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: statusCode,
  };
}

/**
 * A function error as the lambda:invoke integration reports it: the error is the errorType (so
 * Retry/Catch match it) and the cause is the function's error payload as JSON.
 */
function lambdaFunctionError(error: unknown): Error {
  const name = error instanceof Error && error.name ? error.name : 'Error';
  const message = errorMessage(error);
  return Object.assign(new Error(JSON.stringify({ errorType: name, errorMessage: message })), { name });
}

/** States.Runtime cannot be retried or caught; the library honours these two flags. */
function runtimeError(message: string): Error {
  return Object.assign(new Error(message), {
    name: 'States.Runtime',
    isRetryable: false,
    isCatchable: false,
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error
    ? error.message
    : typeof error === 'string'
      ? error
      : JSON.stringify(error ?? null);
}

function resourceFields(resource: string) {
  const match = /^arn:[\w-]+:states:::([\w-]+):(.+)$/.exec(resource);
  return match ? { resourceType: match[1], resource: match[2] } : { resourceType: 'lambda', resource };
}

function newTaskToken(): string {
  return randomBytes(64).toString('base64url');
}

function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

function roleArnOf(stateMachineArn: string): string {
  const account = stateMachineArn.split(':')[4] ?? '000000000000';
  return `arn:aws:iam::${account}:role/local-state-machine-role`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Replaces a placeholder wherever it appears in string values (also inside States.Format results). */
function replaceDeep<T>(value: T, placeholder: string, replacement: string): T {
  if (typeof value === 'string') return value.split(placeholder).join(replacement) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => replaceDeep(v, placeholder, replacement)) as T;
  if (isObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, replaceDeep(v, placeholder, replacement)]),
    ) as T;
  }
  return value;
}

function withoutData(event: HistoryEvent): HistoryEvent {
  const copy: HistoryEvent = { ...event };
  for (const [key, details] of Object.entries(event)) {
    if (isObject(details) && key.endsWith('EventDetails')) {
      const { input: _i, output: _o, parameters: _p, ...rest } = details;
      copy[key] = rest;
    }
  }
  return copy;
}

function paginate<T>(items: T[], input: Record<string, unknown>): { items: T[]; nextToken?: string } {
  const max =
    typeof input.maxResults === 'number' && input.maxResults > 0 ? Math.min(input.maxResults, 1000) : 100;
  let offset = 0;
  if (typeof input.nextToken === 'string') {
    offset = Number(Buffer.from(input.nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0)
      throw new AwsServiceError('InvalidToken', 'Invalid nextToken');
  }
  const page = items.slice(offset, offset + max);
  const next = offset + max;
  return {
    items: page,
    nextToken: next < items.length ? Buffer.from(String(next)).toString('base64url') : undefined,
  };
}
