/**
 * The local cloud's CloudWatch metrics: the Embedded Metric Format lines the functions write to
 * stdout (Powertools Metrics, as on Lambda) read back into metric series, as CloudWatch would, and
 * the verification funnel made of them (`GET /_local/metrics`, and the summary `npm start` prints
 * when it stops). Nothing here knows a verification: the lines carry codes only.
 */
import { METRIC_DIMENSIONS, METRICS } from '../../lambdas/contract/metrics';

/** One metric series: a metric with one set of dimension values, and what was recorded in it. */
export interface MetricSeries {
  namespace: string;
  metric: string;
  unit: string;
  /** The dimension set's values, `service` included. */
  dimensions: Record<string, string>;
  /** Values recorded (each event records 1 for a count). */
  samples: number;
  sum: number;
  min: number;
  max: number;
}

/** Count by dimension value, e.g. `{document_front: 2, document_back: 1}`. */
export type Breakdown = Record<string, number>;

export interface LocalFunnel {
  started: number;
  stepsAttempted: Breakdown;
  issuesReturned: Breakdown;
  retakes: Breakdown;
  completed: Breakdown;
  failed: Breakdown;
  abandoned: number;
  deleted: number;
  berbix: {
    /** Requests by call, then by status. */
    calls: Record<string, Breakdown>;
    errors: number;
    /** Latency by call, in milliseconds. */
    latencyMs: Record<string, { samples: number; average: number; max: number }>;
  };
}

export interface MetricsSnapshot {
  /** EMF lines read so far. */
  lines: number;
  namespaces: string[];
  services: string[];
  series: MetricSeries[];
  funnel: LocalFunnel;
}

export interface MetricsCollector {
  /** Reads one line of function output (`[FunctionName] …`); true when it was an EMF line. */
  observe(line: string): boolean;
  snapshot(): MetricsSnapshot;
  /** The funnel in a few lines, for a person. */
  summary(): string;
}

interface EmfDocument {
  _aws?: {
    CloudWatchMetrics?: {
      Namespace?: string;
      Dimensions?: string[][];
      Metrics?: { Name?: string; Unit?: string }[];
    }[];
  };
  [key: string]: unknown;
}

/** The JSON of an EMF line, whatever prefixes it (the runtime's `[FunctionName] `). */
function emfOf(line: string): EmfDocument | undefined {
  if (!line.includes('"_aws"')) return undefined;
  const start = line.indexOf('{');
  if (start < 0) return undefined;
  try {
    const doc = JSON.parse(line.slice(start)) as EmfDocument;
    return Array.isArray(doc._aws?.CloudWatchMetrics) ? doc : undefined;
  } catch {
    return undefined;
  }
}

const { service, step, issue, action, reason, call, status } = METRIC_DIMENSIONS;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function createMetricsCollector(): MetricsCollector {
  const series = new Map<string, MetricSeries>();
  let lines = 0;

  const record = (
    namespace: string,
    metric: string,
    unit: string,
    dims: Record<string, string>,
    value: number,
  ) => {
    const key = JSON.stringify([namespace, metric, Object.entries(dims).sort()]);
    const s = series.get(key);
    if (s) {
      s.samples += 1;
      s.sum += value;
      s.min = Math.min(s.min, value);
      s.max = Math.max(s.max, value);
    } else {
      series.set(key, {
        namespace,
        metric,
        unit,
        dimensions: dims,
        samples: 1,
        sum: value,
        min: value,
        max: value,
      });
    }
  };

  const snapshot = (): MetricsSnapshot => {
    const all = [...series.values()].map((s) => ({ ...s, dimensions: { ...s.dimensions } }));
    /** The series of `metric` whose dimensions besides `service` are exactly `keys`. */
    const of = (metric: string, keys: string[]) =>
      all.filter(
        (s) =>
          s.metric === metric &&
          Object.keys(s.dimensions)
            .filter((k) => k !== service)
            .sort()
            .join() === [...keys].sort().join(),
      );
    const total = (metric: string) => of(metric, []).reduce((n, s) => n + s.sum, 0);
    const by = (metric: string, dimension: string): Breakdown => {
      const out: Breakdown = {};
      for (const s of of(metric, [dimension]))
        out[s.dimensions[dimension]!] = (out[s.dimensions[dimension]!] ?? 0) + s.sum;
      return out;
    };
    const calls: Record<string, Breakdown> = {};
    for (const s of of(METRICS.berbixCalls.name, [call, status])) {
      const perCall = (calls[s.dimensions[call]!] ??= {});
      perCall[s.dimensions[status]!] = (perCall[s.dimensions[status]!] ?? 0) + s.sum;
    }
    const latencyMs: LocalFunnel['berbix']['latencyMs'] = {};
    for (const s of of(METRICS.berbixLatency.name, [call])) {
      latencyMs[s.dimensions[call]!] = {
        samples: s.samples,
        average: Math.round(s.sum / s.samples),
        max: s.max,
      };
    }
    return {
      lines,
      namespaces: [...new Set(all.map((s) => s.namespace))].sort(),
      services: [
        ...new Set(all.map((s) => s.dimensions[service]).filter((v) => v !== undefined)),
      ].sort() as string[],
      series: all,
      funnel: {
        started: total(METRICS.verificationsStarted.name),
        stepsAttempted: by(METRICS.stepsAttempted.name, step),
        issuesReturned: by(METRICS.issuesReturned.name, issue),
        retakes: by(METRICS.retakes.name, step),
        completed: by(METRICS.verificationsCompleted.name, action),
        failed: by(METRICS.verificationsFailed.name, reason),
        abandoned: total(METRICS.verificationsAbandoned.name),
        deleted: total(METRICS.verificationsDeleted.name),
        berbix: { calls, errors: total(METRICS.berbixErrors.name), latencyMs },
      },
    };
  };

  return {
    observe(line) {
      const doc = emfOf(line);
      if (!doc) return false;
      lines += 1;
      for (const directive of doc._aws!.CloudWatchMetrics!) {
        const namespace = directive.Namespace ?? 'default_namespace';
        for (const m of directive.Metrics ?? []) {
          const value = doc[m.Name ?? ''];
          if (typeof m.Name !== 'string' || typeof value !== 'number') continue;
          for (const set of directive.Dimensions ?? [[]]) {
            const dims = Object.fromEntries(set.map((k) => [k, String(doc[k])]));
            record(namespace, m.Name, m.Unit ?? 'None', dims, value);
          }
        }
      }
      return true;
    },
    snapshot,
    summary() {
      const { funnel: f, lines: n, namespaces, services } = snapshot();
      if (n === 0) return 'Funnel: no metrics were written.';
      const list = (b: Breakdown) =>
        Object.entries(b)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none';
      const sum = (b: Breakdown) => Object.values(b).reduce((a, v) => a + v, 0);
      const requests = Object.values(f.berbix.calls).reduce((a, b) => a + sum(b), 0);
      const latency = Object.entries(f.berbix.latencyMs)
        .map(([c, l]) => `${c} ${l.samples}× avg ${l.average} ms, max ${l.max} ms`)
        .join('; ');
      return [
        `Funnel (${n} EMF lines; namespace ${namespaces.join(', ')}; service ${services.join(', ')}):`,
        `  started ${f.started} · uploads ${list(f.stepsAttempted)} · retakes ${sum(f.retakes)}` +
          ` · completed ${sum(f.completed)} · failed ${sum(f.failed)} · abandoned ${f.abandoned} · deleted ${f.deleted}`,
        `  completed by action: ${list(f.completed)}; failed by reason: ${list(f.failed)}`,
        `  issues: ${list(f.issuesReturned)}; retakes by side: ${list(f.retakes)}`,
        `  Berbix: ${plural(requests, 'request')}, ${plural(f.berbix.errors, 'error')}${latency ? `; ${latency}` : ''}`,
      ].join('\n');
    },
  };
}
