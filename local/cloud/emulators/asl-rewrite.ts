/**
 * Prepares an ASL definition for aws-local-stepfunctions so that every Task state runs through our
 * own handler, with what that handler needs and the library does not pass it.
 *
 * The library hands a local handler only the state's processed input (after `Parameters`), never the
 * resource or the context, and it reads `TimeoutSecondsPath` from that processed input instead of
 * the state input. So each Task's `Parameters` become
 * `{"__sfnLocal": {resource, payload: <original Parameters>, timeout(.$), heartbeat(.$)}}`, the
 * library's `TimeoutSecondsPath` points at `$.__sfnLocal.timeout`, and a Task without a timeout gets
 * the longest one a timer can hold (the library's default is 60 s; AWS waits up to a year).
 */

/** Node timers overflow past 2^31-1 ms (and then fire at once): the longest wait we can honour. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export const LOCAL_KEY = '__sfnLocal';

/** What a rewritten Task state passes to the local handler. */
export interface LocalTaskInput {
  resource: string;
  payload: unknown;
  /** Seconds; a number once the library has resolved the path. */
  timeout: number;
  heartbeat?: number;
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface RewrittenDefinition {
  definition: JsonObject;
  /** Every Task state name, nested ones included: the library looks handlers up by state name. */
  taskStateNames: string[];
}

export function rewriteDefinition(definition: JsonObject): RewrittenDefinition {
  const taskStateNames = new Set<string>();
  const rewritten = rewriteMachine(definition, taskStateNames);
  if (typeof rewritten.TimeoutSeconds === 'number') {
    rewritten.TimeoutSeconds = Math.min(rewritten.TimeoutSeconds, MAX_TIMER_SECONDS);
  }
  return { definition: rewritten, taskStateNames: [...taskStateNames] };
}

function rewriteMachine(machine: JsonObject, names: Set<string>): JsonObject {
  const states = isObject(machine.States) ? machine.States : {};
  const rewrittenStates: JsonObject = {};
  for (const [name, state] of Object.entries(states)) {
    rewrittenStates[name] = isObject(state) ? rewriteState(name, state, names) : state;
  }
  return { ...machine, States: rewrittenStates };
}

function rewriteState(name: string, state: JsonObject, names: Set<string>): JsonObject {
  switch (state.Type) {
    case 'Task':
      names.add(name);
      return rewriteTask(state);
    case 'Parallel':
      return {
        ...state,
        Branches: Array.isArray(state.Branches)
          ? state.Branches.map((branch) => (isObject(branch) ? rewriteMachine(branch, names) : branch))
          : state.Branches,
      };
    case 'Map': {
      const result = { ...state };
      for (const field of ['ItemProcessor', 'Iterator'] as const) {
        const inner = state[field];
        if (isObject(inner)) result[field] = rewriteMachine(inner, names);
      }
      return result;
    }
    default:
      return state;
  }
}

function rewriteTask(state: JsonObject): JsonObject {
  const local: JsonObject = { resource: state.Resource };
  if ('Parameters' in state) local.payload = state.Parameters;
  else local['payload.$'] = '$';

  const result: JsonObject = { ...state };
  delete result.TimeoutSeconds;
  delete result.TimeoutSecondsPath;
  delete result.HeartbeatSeconds;
  delete result.HeartbeatSecondsPath;

  if (typeof state.TimeoutSecondsPath === 'string') {
    local['timeout.$'] = state.TimeoutSecondsPath;
    result.TimeoutSecondsPath = `$.${LOCAL_KEY}.timeout`;
  } else {
    const seconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : MAX_TIMER_SECONDS;
    local.timeout = Math.min(seconds, MAX_TIMER_SECONDS);
    result.TimeoutSeconds = local.timeout;
  }
  if (typeof state.HeartbeatSecondsPath === 'string') local['heartbeat.$'] = state.HeartbeatSecondsPath;
  else if (typeof state.HeartbeatSeconds === 'number') local.heartbeat = state.HeartbeatSeconds;

  result.Parameters = { [LOCAL_KEY]: local };
  return result;
}

/** Reads the handler's input back; anything else means the definition was not rewritten by us. */
export function readLocalTaskInput(input: unknown): LocalTaskInput & { holder: JsonObject } {
  const holder = isObject(input) ? input[LOCAL_KEY] : undefined;
  if (!isObject(holder) || typeof holder.resource !== 'string') {
    throw new Error('Task input was not prepared by rewriteDefinition');
  }
  const timeout = holder.timeout;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1) {
    throw Object.assign(new Error('TimeoutSecondsPath must point to a positive integer'), {
      name: 'States.Runtime',
    });
  }
  const heartbeat = holder.heartbeat;
  if (
    heartbeat !== undefined &&
    (typeof heartbeat !== 'number' || !Number.isInteger(heartbeat) || heartbeat < 1)
  ) {
    throw Object.assign(new Error('HeartbeatSecondsPath must point to a positive integer'), {
      name: 'States.Runtime',
    });
  }
  return { resource: holder.resource, payload: holder.payload, timeout, heartbeat, holder };
}
