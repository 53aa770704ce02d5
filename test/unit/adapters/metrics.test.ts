import { VerificationMetrics } from '../../../lambdas/adapters/metrics';
import { METRICS } from '../../../lambdas/contract';
import { describeSeries, emfSeries } from '../support/emf';

let written = '';
beforeEach(() => {
  written = '';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    written += String(chunk);
    return true;
  });
});
afterEach(() => {
  jest.restoreAllMocks();
  delete process.env.POWERTOOLS_METRICS_DISABLED;
});

const metrics = () => new VerificationMetrics({ namespace: 'Test', serviceName: 'kyc-eu' });

/** Every event once. */
function emitAll(m: VerificationMetrics) {
  m.started();
  m.uploadSubmitted({ step: 'document_back', issues: ['text_unreadable'], retakeOf: 'document_back' });
  m.completed('accept');
  m.failed('upload_attempts_exhausted');
  m.abandoned();
  m.deleted();
  m.berbixCall({ call: 'createTransaction', status: '201', error: false, latencyMs: 12.4 });
}

describe('the verification metrics', () => {
  it('writes each metric with exactly the dimension sets the contract gives it, service in each', () => {
    emitAll(metrics());
    const series = emfSeries(written);
    for (const { name, unit, dimensions } of Object.values(METRICS)) {
      const written = series.filter((s) => s.metric === name);
      expect({ name, units: [...new Set(written.map((s) => s.unit))] }).toEqual({ name, units: [unit] });
      const sets = (keys: string[][]) => keys.map((set) => set.sort().join(',')).sort();
      expect({ name, sets: sets(written.map((s) => Object.keys(s.dimensions))) }).toEqual({
        name,
        sets: sets(dimensions.map((set) => ['service', ...set])),
      });
    }
    expect(new Set(series.map((s) => s.namespace))).toEqual(new Set(['Test']));
    expect(new Set(series.map((s) => s.dimensions.service))).toEqual(new Set(['kyc-eu']));
  });

  it('turns an action that is not a plain code into other, and none into none', () => {
    const m = metrics();
    m.completed(null);
    m.completed('review required: Ada Lovelace');
    expect(emfSeries(written).map(describeSeries)).toEqual([
      'VerificationsCompleted{action=none}=1',
      'VerificationsCompleted{}=1',
      'VerificationsCompleted{action=other}=1',
      'VerificationsCompleted{}=1',
    ]);
  });

  it('rounds the latency to whole milliseconds', () => {
    metrics().berbixCall({ call: 'getTransaction', status: '200', error: false, latencyMs: 41.6 });
    expect(emfSeries(written).find((s) => s.metric === 'BerbixLatency')?.value).toBe(42);
  });

  it('writes nothing when Powertools metrics are disabled', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    emitAll(metrics());
    expect(written).toBe('');
  });
});
