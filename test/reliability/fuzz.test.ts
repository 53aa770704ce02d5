/**
 * Property-based fuzzing of every route of docs/openapi.yaml against the running local cloud:
 * requests built from the published request schemas (valid, broken in one place, or not JSON),
 * with every kind of caller (none, garbage, the owner, another user, no scope, the backend) and
 * awkward path ids. Whatever is sent, the API never answers 5xx, and every answer is one the spec
 * documents for the operation, body included (test/integration/support/spec.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import {
  backendToken,
  createVerification,
  mintToken,
  newUser,
  type Verification,
} from '../integration/support/api';
import { integrationConfig } from '../integration/support/config';
import { loadSpecChecker } from '../integration/support/spec';
import { awkwardString, requestBody, type Schema } from './support/schema-arbitrary';

interface Operation {
  method: string;
  template: string;
  requestBody?: { content?: { 'application/json'?: { schema?: Schema } } };
}

const spec = parse(readFileSync(path.resolve(__dirname, '../../docs/openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};
const operations = Object.entries(spec.paths).flatMap(([template, item]) =>
  Object.entries(item)
    .filter(([method]) => ['get', 'post', 'delete'].includes(method))
    .map(([method, op]) => ({ ...op, method: method.toUpperCase(), template })),
);
const checker = loadSpecChecker();

/** Runs per route: enough to reach every branch of a handler, bounded so the file takes seconds. */
const RUNS = 25;

/** Who calls, weighted towards callers that get past the authorizer. */
const CALLERS = [
  { caller: 'owner', weight: 4 },
  { caller: 'backend', weight: 3 },
  { caller: 'another-user', weight: 2 },
  { caller: 'no-token', weight: 1 },
  { caller: 'garbage-token', weight: 1 },
  { caller: 'no-scope', weight: 1 },
] as const;
type Caller = (typeof CALLERS)[number]['caller'];

/** Fresh for each route, so a DELETE fuzzed on one route leaves the next route something to work on. */
async function parties(): Promise<{
  tokens: Record<Caller, string | undefined>;
  own: Verification;
  others: Verification;
}> {
  const owner = await newUser('fuzz-');
  const other = await newUser('fuzz-');
  return {
    own: await createVerification(owner.token),
    others: await createVerification(other.token),
    tokens: {
      owner: owner.token,
      backend: await backendToken(),
      'another-user': other.token,
      'no-token': undefined,
      'garbage-token': 'not-a-jwt',
      'no-scope': await mintToken('fuzz-noscope', []),
    },
  };
}

/** Header values fetch can send: printable ASCII (a browser refuses the rest before sending). */
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 300,
});

const pathId = (own: Verification, others: Verification) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(own.id) },
    { weight: 1, arbitrary: fc.constant(others.id) },
    { weight: 1, arbitrary: fc.stringMatching(/^vrf_[a-z2-7]{26}$/) },
    { weight: 1, arbitrary: awkwardString.map(encodeURIComponent) },
  );

describe('fuzzing every route of the OpenAPI document', () => {
  it('covers every operation the spec publishes', () => {
    expect(operations.map((o) => `${o.method} ${o.template}`).sort()).toEqual(
      expect.arrayContaining(['POST /verifications', 'GET /verifications/{id}', 'POST /webhooks/berbix']),
    );
    expect(operations).toHaveLength(8);
  });

  it.each(operations.map((op) => [`${op.method} ${op.template}`, op] as const))(
    '%s never answers 5xx, and answers only what the spec documents',
    async (_name, op) => {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      const { tokens, own, others } = await parties();
      const request = fc.record({
        caller: fc.oneof(
          ...CALLERS.map(({ caller, weight }) => ({ weight, arbitrary: fc.constant(caller) })),
        ),
        id: pathId(own, others),
        body: requestBody(schema, spec.components.schemas),
        idempotencyKey: fc.option(headerValue, { nil: undefined }),
        signature: fc.option(headerValue, { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ caller, id, body, idempotencyKey, signature }) => {
          const concretePath = op.template.replace('{id}', id);
          const headers: Record<string, string> = {};
          const token = tokens[caller];
          if (token) headers.authorization = `Bearer ${token}`;
          if (body.contentType) headers['content-type'] = body.contentType;
          if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
          if (signature !== undefined) headers['x-berbix-signature'] = signature;
          const res = await fetch(`${integrationConfig().apiUrl}${concretePath}`, {
            method: op.method,
            headers,
            body: op.method === 'GET' ? undefined : body.text,
          });
          const text = await res.text();
          const answer = { method: op.method, path: concretePath, caller, status: res.status, text };
          expect({ ...answer, serverError: res.status >= 500 }).toEqual({ ...answer, serverError: false });
          const problems = checker.problems({
            method: op.method,
            template: checker.templateOf(op.method, concretePath),
            status: res.status,
            contentType: res.headers.get('content-type'),
            text,
          });
          expect({ ...answer, problems }).toEqual({ ...answer, problems: [] });
        }),
        { numRuns: RUNS },
      );
    },
    90_000,
  );
});
