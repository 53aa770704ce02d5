/**
 * The funnel metrics of real verifications on the local cloud: the functions write EMF lines, the
 * cloud reads them back (`GET /_local/metrics`) as CloudWatch would. Other test files run on the
 * same cloud at the same time, so counts are compared before and after as "at least".
 */
import { METRICS } from '../../lambdas/contract';
import type { MetricSeries, MetricsSnapshot } from '../../local/cloud';
import {
  afterAttempt,
  api,
  awaiting,
  backendToken,
  createVerification,
  hasStatus,
  newUser,
  upload,
  waitForVerification,
} from './support/api';
import { image } from './support/images';

const snapshot = async () => (await api<MetricsSnapshot>('GET', '/_local/metrics')).body;

const key = (s: Pick<MetricSeries, 'metric' | 'dimensions'>) =>
  `${s.metric}{${Object.entries(s.dimensions)
    .filter(([k]) => k !== 'service')
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}}`;

/** How much each series grew from `before` to `after`, by `key`. */
function growth(before: MetricsSnapshot, after: MetricsSnapshot): Record<string, number> {
  const was = new Map(before.series.map((s) => [key(s), s.sum]));
  return Object.fromEntries(after.series.map((s) => [key(s), s.sum - (was.get(key(s)) ?? 0)]));
}

/** Polls until `ready` holds (the last EMF lines reach the cloud just after the status changes). */
async function eventually(before: MetricsSnapshot, ready: (grew: Record<string, number>) => boolean) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const after = await snapshot();
    if (ready(growth(before, after)) || Date.now() > deadline) return after;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the funnel metrics of the local cloud', () => {
  it('count a verification with a retake: started, each side attempted, the issue, the retake, the completion by action, the deletion and every Berbix request by call and status', async () => {
    const before = await snapshot();
    const { sub, token } = await newUser('metrics-');
    const v = await createVerification(token, { id_country: 'US', id_type: 'DL' });
    await upload(v.id, token, 'document_front', image('blurryFront'));
    await waitForVerification(v.id, token, afterAttempt('document_front', 1));
    await upload(v.id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(v.id, token, awaiting('upload_document_back'));
    await upload(v.id, token, 'document_back', image('driversLicenseBack'));
    const done = await waitForVerification(v.id, token, hasStatus('completed'));
    const action = done.result?.action ?? 'none';
    expect(
      (await api('DELETE', `/verifications/${v.id}`, { token: await backendToken() })).status,
    ).toBeLessThan(300);

    const expected: Record<string, number> = {
      'VerificationsStarted{}': 1,
      'StepsAttempted{step=document_front}': 2,
      'StepsAttempted{step=document_back}': 1,
      'StepsAttempted{}': 3,
      'IssuesReturned{issue=text_unreadable}': 1,
      'Retakes{step=document_front}': 1,
      'Retakes{}': 1,
      [`VerificationsCompleted{action=${action}}`]: 1,
      'VerificationsCompleted{}': 1,
      'VerificationsDeleted{}': 1,
      'BerbixCalls{call=createTransaction}': 1,
      'BerbixCalls{call=uploadImages}': 3,
      'BerbixCalls{call=getTransaction}': 1,
    };
    const reached = (grew: Record<string, number>) =>
      Object.entries(expected).every(([k, n]) => (grew[k] ?? 0) >= n);
    const after = await eventually(before, reached);
    const grew = growth(before, after);
    expect(Object.fromEntries(Object.keys(expected).map((k) => [k, (grew[k] ?? 0) >= expected[k]!]))).toEqual(
      Object.fromEntries(Object.keys(expected).map((k) => [k, true])),
    );
    // Every Berbix request is also counted by its status, a code.
    const byStatus = after.series.filter((s) => s.metric === 'BerbixCalls' && 'status' in s.dimensions);
    expect(byStatus.map((s) => s.dimensions.status)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(\d{3}|\dxx|timeout|network)$/)]),
    );
    expect(after.funnel.retakes.document_front).toBeGreaterThanOrEqual(1);

    // Names, namespace and dimension sets are the contract's; values are codes, never an id or a user.
    expect(after.namespaces).toEqual(['BerbixServerless']);
    expect(after.services).toEqual(['BerbixServerless']);
    const contract = new Map<string, (typeof METRICS)[keyof typeof METRICS]>(
      Object.values(METRICS).map((m) => [m.name, m]),
    );
    for (const s of after.series) {
      const metric = contract.get(s.metric);
      expect({ metric: s.metric, known: metric !== undefined }).toEqual({ metric: s.metric, known: true });
      const dims = Object.keys(s.dimensions)
        .filter((d) => d !== 'service')
        .sort()
        .join();
      expect({
        metric: s.metric,
        dims,
        allowed: metric!.dimensions.map((set) => [...set].sort().join()).includes(dims),
      }).toEqual({
        metric: s.metric,
        dims,
        allowed: true,
      });
      expect(s.unit).toBe(metric!.unit);
      for (const value of Object.values(s.dimensions)) {
        expect(value).toMatch(/^[A-Za-z0-9_]{1,64}$/);
        expect(value).not.toContain(v.id);
        expect(value).not.toContain(sub);
      }
    }
  });
});
