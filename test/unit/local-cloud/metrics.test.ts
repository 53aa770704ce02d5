import { VerificationMetrics } from '../../../lambdas/adapters/metrics';
import { createMetricsCollector } from '../../../local/cloud/metrics';

/** The lines the functions would write for one driver's licence with a retake, then a deletion. */
function functionOutput(): string[] {
  let written = '';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    written += String(chunk);
    return true;
  });
  try {
    const m = new VerificationMetrics({ namespace: 'BerbixServerless', serviceName: 'BerbixServerless' });
    m.started();
    m.berbixCall({ call: 'createTransaction', status: '201', error: false, latencyMs: 40 });
    m.berbixCall({ call: 'uploadImages', status: '503', error: true, latencyMs: 10 });
    m.berbixCall({ call: 'uploadImages', status: '200', error: false, latencyMs: 90 });
    m.uploadSubmitted({ step: 'document_front', issues: ['text_unreadable'], retakeOf: 'document_front' });
    m.berbixCall({ call: 'uploadImages', status: '200', error: false, latencyMs: 110 });
    m.uploadSubmitted({ step: 'document_front', issues: [] });
    m.uploadSubmitted({ step: 'document_back', issues: [] });
    m.completed('accept');
    m.deleted();
  } finally {
    spy.mockRestore();
    delete process.env.POWERTOOLS_METRICS_DISABLED;
  }
  return written
    .split('\n')
    .filter(Boolean)
    .map((line) => `[SubmitUploadFn] ${line}`);
}

describe('the local cloud’s metrics', () => {
  it('turns the functions’ EMF lines into the funnel, by step, issue, action, call and status', () => {
    const collector = createMetricsCollector();
    const lines = functionOutput();
    for (const line of lines) expect(collector.observe(line)).toBe(true);
    const { funnel, lines: read, namespaces, services } = collector.snapshot();
    expect(read).toBe(lines.length);
    expect(namespaces).toEqual(['BerbixServerless']);
    expect(services).toEqual(['BerbixServerless']);
    expect(funnel).toEqual({
      started: 1,
      stepsAttempted: { document_front: 2, document_back: 1 },
      issuesReturned: { text_unreadable: 1 },
      retakes: { document_front: 1 },
      completed: { accept: 1 },
      failed: {},
      abandoned: 0,
      deleted: 1,
      berbix: {
        calls: { createTransaction: { '201': 1 }, uploadImages: { '503': 1, '200': 2 } },
        errors: 1,
        latencyMs: {
          createTransaction: { samples: 1, average: 40, max: 40 },
          uploadImages: { samples: 3, average: 70, max: 110 },
        },
      },
    });
  });

  it('keeps every series with its dimensions, as CloudWatch would', () => {
    const collector = createMetricsCollector();
    for (const line of functionOutput()) collector.observe(line);
    const steps = collector
      .snapshot()
      .series.filter((s) => s.metric === 'StepsAttempted')
      .map((s) => [s.dimensions, s.sum]);
    expect(steps).toEqual([
      [{ service: 'BerbixServerless', step: 'document_front' }, 2],
      [{ service: 'BerbixServerless' }, 3],
      [{ service: 'BerbixServerless', step: 'document_back' }, 1],
    ]);
  });

  it('passes over lines that are not EMF: logs, reports, broken JSON', () => {
    const collector = createMetricsCollector();
    for (const line of [
      '[GetVerificationFn] {"level":"INFO","message":"Verification read","verificationId":"vrf_x"}',
      '[GetVerificationFn] REPORT RequestId: 1\tDuration: 3.00 ms',
      '[SubmitUploadFn] {"_aws": {"CloudWatchMetrics": [',
      'plain text mentioning "_aws"',
    ])
      expect(collector.observe(line)).toBe(false);
    expect(collector.snapshot().lines).toBe(0);
    expect(collector.summary()).toBe('Funnel: no metrics were written.');
  });

  it('sums the session up for a person', () => {
    const collector = createMetricsCollector();
    for (const line of functionOutput()) collector.observe(line);
    expect(collector.summary().split('\n')).toEqual([
      expect.stringMatching(
        /^Funnel \(\d+ EMF lines; namespace BerbixServerless; service BerbixServerless\):$/,
      ),
      '  started 1 · uploads document_front 2, document_back 1 · retakes 1 · completed 1 · failed 0 · abandoned 0 · deleted 1',
      '  completed by action: accept 1; failed by reason: none',
      '  issues: text_unreadable 1; retakes by side: document_front 1',
      '  Berbix: 4 requests, 1 error; createTransaction 1× avg 40 ms, max 40 ms; uploadImages 3× avg 70 ms, max 110 ms',
    ]);
  });
});
