import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { synthesize, type Synthesized } from './synth';

interface Finding {
  rule: string;
  path: string;
}
interface Acknowledgment {
  id: string;
  reason: string;
  at: string;
}

let synth: Synthesized;
/** Every AwsSolutions finding of the stack as if nothing were acknowledged. */
let raw: Finding[];
let acknowledgments: Acknowledgment[];

beforeAll(() => {
  synth = synthesize({}, { nag: true });
  const checks = new AwsSolutionsChecks(synth.stack.node.root);
  // Same rules, acknowledgments ignored: tells which acknowledgment covers a real finding.
  (checks as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  raw = checks
    .validateScope(synth.stack)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })),
    );
  acknowledgments = synth.stack.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
            id: id.replace(/^Annotation::/, ''),
            reason,
            at: c.node.path,
          })),
        ),
    )
    .filter((a) => a.id.startsWith('AwsSolutions-'));
});
afterAll(() => synth.cleanup());

describe('cdk-nag AwsSolutions on the stack', () => {
  it('synthesizes with zero unacknowledged findings, errors or warnings', () => {
    expect(synth.error).toBeUndefined();
    const open = (synth.report?.pluginReports ?? []).flatMap((p) =>
      p.violations.map(
        (v) =>
          `${p.pluginName} ${v.severity} ${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`,
      ),
    );
    expect(open).toEqual([]);
  });

  it('would fail without the acknowledgments, so the check is really running', () => {
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.map((f) => f.rule)).toContain('AwsSolutions-L1');
  });

  it('acknowledges each wildcard per action or resource, never a whole rule', () => {
    for (const a of acknowledgments.filter((x) => /^AwsSolutions-IAM[45]/.test(x.id))) {
      expect(a.id).toMatch(/^AwsSolutions-IAM[45]\[(Action|Resource|Policy)::.+\]$/);
    }
  });

  it('gives every acknowledgment a reason and a place below the stack', () => {
    for (const a of acknowledgments) {
      expect({ id: a.id, reasonLength: a.reason.length > 30 }).toEqual({ id: a.id, reasonLength: true });
      expect(a.at).not.toBe(synth.stack.node.path);
    }
  });

  it('acknowledges only findings that exist, on the construct that raised them', () => {
    const stale = acknowledgments.filter(
      (a) => !raw.some((f) => f.rule === a.id && (f.path === a.at || f.path.startsWith(`${a.at}/`))),
    );
    expect(stale).toEqual([]);
  });

  it('acknowledges nothing on the data stores but the rotation of the Berbix-issued secret', () => {
    const onStorage = acknowledgments
      .filter((a) => a.at.includes('/Storage/'))
      .map((a) => `${a.at.slice(synth.stack.verification.node.path.length + 1)} ${a.id}`);
    expect([...new Set(onStorage)]).toEqual(['Storage/BerbixSecret AwsSolutions-SMG4']);
  });
});
