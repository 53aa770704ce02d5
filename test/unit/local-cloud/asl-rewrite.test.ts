import { MAX_TIMER_SECONDS, rewriteDefinition } from '../../../local/cloud/emulators/asl-rewrite';

const task = (extra: object = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: 'Fn', 'Payload.$': '$' },
  End: true,
  ...extra,
});

describe('preparing a definition for aws-local-stepfunctions', () => {
  it('gives a Task without TimeoutSeconds the longest timer instead of the library default of 60 s', () => {
    const { definition } = rewriteDefinition({ StartAt: 'T', States: { T: task() } });

    expect(definition.States).toMatchObject({ T: { TimeoutSeconds: MAX_TIMER_SECONDS } });
  });

  it('caps timeouts that would overflow a Node timer, for the task and the execution', () => {
    const { definition } = rewriteDefinition({
      TimeoutSeconds: 31_536_000,
      StartAt: 'T',
      States: { T: task({ TimeoutSeconds: 31_536_000 }) },
    });

    expect(definition.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
    expect(definition.States).toMatchObject({ T: { TimeoutSeconds: MAX_TIMER_SECONDS } });
  });

  it('reads TimeoutSecondsPath from the state input by carrying it next to the original Parameters', () => {
    const { definition } = rewriteDefinition({
      StartAt: 'T',
      States: { T: task({ TimeoutSecondsPath: '$.abandonAfterSeconds' }) },
    });

    expect(definition.States).toEqual({
      T: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        End: true,
        TimeoutSecondsPath: '$.__sfnLocal.timeout',
        Parameters: {
          __sfnLocal: {
            resource: 'arn:aws:states:::lambda:invoke',
            payload: { FunctionName: 'Fn', 'Payload.$': '$' },
            'timeout.$': '$.abandonAfterSeconds',
          },
        },
      },
    });
  });

  it('finds Task states inside Map and Parallel states', () => {
    const inner = { StartAt: 'Inner', States: { Inner: task() } };
    const { taskStateNames } = rewriteDefinition({
      StartAt: 'P',
      States: {
        P: { Type: 'Parallel', Branches: [inner], Next: 'M' },
        M: { Type: 'Map', ItemProcessor: { StartAt: 'InMap', States: { InMap: task() } }, End: true },
      },
    });

    expect(taskStateNames.sort()).toEqual(['InMap', 'Inner']);
  });
});
