import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { synthesize, type Synthesized } from './synth';

/**
 * What `bin/app.ts` deploys, as `fixtures/deployed-resources.json` records it: every resource's
 * logical id and type, and the whole definition of the resources that hold data or names (a new
 * logical id or a changed immutable property there replaces the resource on deploy: the table,
 * the buckets and the key would be lost). Written from the template of the stack before the
 * `BerbixVerification` construct existed.
 *
 * A deliberate change rewrites the fixture: `UPDATE_DEPLOYED_RESOURCES=1 npx jest --selectProjects
 * infra -t 'deployed resources'`, then say in CHANGELOG.md what an existing deployment must do.
 */
const FIXTURE = path.join(__dirname, 'fixtures', 'deployed-resources.json');

/** Types whose replacement loses data or breaks names others rely on. */
const STATEFUL = [
  'AWS::KMS::Key',
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::SecretsManager::Secret',
  'AWS::SQS::Queue',
  'AWS::Logs::LogGroup',
];

interface Resource {
  Type: string;
  Properties?: unknown;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export function deployedResources(resources: Record<string, Resource>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(resources)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, r]) => [
        id,
        STATEFUL.includes(r.Type)
          ? {
              Type: r.Type,
              Properties: r.Properties,
              DeletionPolicy: r.DeletionPolicy,
              UpdateReplacePolicy: r.UpdateReplacePolicy,
            }
          : { Type: r.Type },
      ]),
  );
}

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
});
afterAll(() => synth.cleanup());

describe('the deployed resources of bin/app.ts', () => {
  it('keep their logical ids and types, and the stateful ones their whole definition', () => {
    const now = deployedResources(synth.template.toJSON().Resources as Record<string, Resource>);
    if (process.env.UPDATE_DEPLOYED_RESOURCES === '1') {
      writeFileSync(FIXTURE, `${JSON.stringify(now, null, 2)}\n`);
    }
    const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(now)).toEqual(Object.keys(recorded));
    expect(now).toEqual(recorded);
  });

  it('include the stateful resources an existing deployment must not lose', () => {
    const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, { Type: string }>;
    const types = Object.values(recorded).map((r) => r.Type);
    for (const type of ['AWS::KMS::Key', 'AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret']) {
      expect(types.filter((t) => t === type)).toHaveLength(1);
    }
    expect(types.filter((t) => t === 'AWS::S3::Bucket')).toHaveLength(2);
  });
});
