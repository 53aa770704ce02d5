import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { daemonAddress, parseTraceHeader, XRayTracer } from '../../../lambdas/adapters/xray';

const ROOT = '1-67891233-abcdef012345678912345678';
const PARENT = '53995c3f42cd8ad8';
const SAMPLED = `Root=${ROOT};Parent=${PARENT};Sampled=1;Lineage=a87bd80c:0`;

/** A tracer whose documents are collected instead of sent, with an invocation's environment. */
function tracerWith(env: Record<string, string | undefined>) {
  const sent: Record<string, unknown>[] = [];
  const tracer = new XRayTracer({
    env,
    send: (document) => {
      const [header, body] = document.split('\n');
      expect(JSON.parse(header!)).toEqual({ format: 'json', version: 1 });
      sent.push(JSON.parse(body!) as Record<string, unknown>);
    },
  });
  return { tracer, sent };
}

/** What the SDK hands its request handler (the part read here). */
type HttpRequest = { headers: Record<string, string> };
type Answer = { statusCode: number; headers?: Record<string, string>; body?: string };

/** An AWS SDK client whose HTTP requests are answered here, the headers of each one kept. */
function clientAnswering<C>(make: (config: object) => C, answer: Answer) {
  const requests: HttpRequest[] = [];
  const client = make({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: HttpRequest) => {
        requests.push(request);
        const { Readable } = await import('node:stream');
        return {
          response: {
            statusCode: answer.statusCode,
            headers: {
              'x-amzn-requestid': 'req-1',
              'content-type': 'application/x-amz-json-1.0',
              ...answer.headers,
            },
            body: Readable.from([Buffer.from(answer.body ?? '{}')]),
          },
        };
      },
    },
  });
  return { client, requests };
}

describe('the trace header', () => {
  it('is followed only when the invocation is sampled and has a root and a parent', () => {
    expect(parseTraceHeader(SAMPLED)).toMatchObject({ root: ROOT, parent: PARENT });
    expect(parseTraceHeader(`Root=${ROOT};Parent=${PARENT};Sampled=0`)).toBeUndefined();
    expect(parseTraceHeader(`Root=${ROOT};Sampled=1`)).toBeUndefined();
    expect(parseTraceHeader(undefined)).toBeUndefined();
    expect(parseTraceHeader('')).toBeUndefined();
  });

  it('names the daemon as Lambda gives it, in both of its forms, or X-Ray’s default', () => {
    expect(daemonAddress('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
    expect(daemonAddress('tcp:127.0.0.1:2001 udp:127.0.0.2:2002')).toEqual({ host: '127.0.0.2', port: 2002 });
    expect(daemonAddress(undefined)).toEqual({ host: '127.0.0.1', port: 2000 });
    expect(daemonAddress('nonsense')).toEqual({ host: '127.0.0.1', port: 2000 });
  });
});

describe('an AWS SDK client captured by the tracer', () => {
  it('sends one subsegment per operation under the function segment and passes the trace on with it as the parent', async () => {
    const { tracer, sent } = tracerWith({ _X_AMZN_TRACE_ID: SAMPLED });
    const { client, requests } = clientAnswering((c) => tracer.captureAwsClient(new SFNClient(c)), {
      statusCode: 200,
      body: '{"executionArn":"arn:aws:states:eu-west-1:1:execution:m:vrf_x","startDate":1}',
    });
    await client.send(
      new StartExecutionCommand({
        stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:m',
        input: '{"email":"ada@example.com"}',
      }),
    );
    expect(sent).toHaveLength(1);
    const [segment] = sent;
    expect(segment).toMatchObject({
      type: 'subsegment',
      name: 'SFN',
      namespace: 'aws',
      trace_id: ROOT,
      parent_id: PARENT,
      aws: { operation: 'StartExecution', region: 'eu-west-1', request_id: 'req-1', retries: 0 },
      http: { response: { status: 200 } },
    });
    expect(segment!.id).toMatch(/^[0-9a-f]{16}$/);
    expect(segment!.end_time as number).toBeGreaterThanOrEqual(segment!.start_time as number);
    // Downstream (Step Functions) continues the trace under this subsegment; Lineage is kept.
    expect(requests[0]!.headers['X-Amzn-Trace-Id']).toBe(
      `Root=${ROOT};Parent=${segment!.id as string};Sampled=1;Lineage=a87bd80c:0`,
    );
    // Names and codes only: nothing of the request's input.
    expect(JSON.stringify(sent)).not.toContain('ada@example.com');
  });

  it('records a refused call as an error with the exception’s name only, and the table it named', async () => {
    const { tracer, sent } = tracerWith({ _X_AMZN_TRACE_ID: SAMPLED });
    const { client } = clientAnswering((c) => tracer.captureAwsClient(new DynamoDBClient(c)), {
      statusCode: 400,
      body: JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
        message: 'Requested resource not found: Table: verifications-of-ada not found',
      }),
    });
    await expect(
      client.send(new GetItemCommand({ TableName: 'verifications', Key: { pk: { S: 'V#vrf_1' } } })),
    ).rejects.toThrow();
    expect(sent).toEqual([
      expect.objectContaining({
        name: 'DynamoDB',
        aws: expect.objectContaining({ operation: 'GetItem', table_name: 'verifications' }),
        http: { response: { status: 400 } },
        error: true,
        cause: { exceptions: [expect.objectContaining({ type: 'ResourceNotFoundException', remote: true })] },
      }),
    ]);
    expect(JSON.stringify(sent)).not.toContain('ada');
    expect(JSON.stringify(sent)).not.toContain('vrf_1');
  });

  it('does nothing and adds no header when the invocation is not traced, not sampled or tracing is off', async () => {
    for (const env of [
      {},
      { _X_AMZN_TRACE_ID: `Root=${ROOT};Parent=${PARENT};Sampled=0` },
      { _X_AMZN_TRACE_ID: SAMPLED, POWERTOOLS_TRACE_ENABLED: 'false' },
    ]) {
      const { tracer, sent } = tracerWith(env);
      const { client, requests } = clientAnswering((c) => tracer.captureAwsClient(new SFNClient(c)), {
        statusCode: 200,
        body: '{"executionArn":"arn","startDate":1}',
      });
      await client.send(
        new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:m' }),
      );
      expect(sent).toEqual([]);
      expect(requests[0]!.headers['X-Amzn-Trace-Id']).toBeUndefined();
    }
  });
});

describe('the UDP sender', () => {
  it('sends each subsegment as one datagram in the daemon’s format to AWS_XRAY_DAEMON_ADDRESS', async () => {
    const daemon = createSocket('udp4');
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    const received = new Promise<string>((resolve) => daemon.once('message', (m) => resolve(m.toString())));
    const { port } = daemon.address() as AddressInfo;
    const tracer = new XRayTracer({
      env: { _X_AMZN_TRACE_ID: SAMPLED, AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${port}` },
    });
    tracer.begin('api.berbix.com', 'remote')!.end({ http: { response: { status: 200 } } });
    const [header, body] = (await received).split('\n');
    daemon.close();
    expect(JSON.parse(header!)).toEqual({ format: 'json', version: 1 });
    expect(JSON.parse(body!)).toMatchObject({
      name: 'api.berbix.com',
      namespace: 'remote',
      parent_id: PARENT,
    });
  });
});
