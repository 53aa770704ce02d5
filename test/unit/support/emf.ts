/**
 * Reads Embedded Metric Format lines (what Powertools Metrics writes to stdout) back as metric
 * series: one record per metric per dimension set of each line.
 */
export interface EmfSeries {
  namespace: string;
  metric: string;
  unit: string;
  value: number;
  /** The dimension set's values, `service` included. */
  dimensions: Record<string, string>;
}

interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

/** Every metric series in `text` (other lines, e.g. the logger's, are skipped). */
export function emfSeries(text: string): EmfSeries[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .flatMap((line) => {
      const doc = JSON.parse(line) as EmfDocument;
      return doc._aws.CloudWatchMetrics.flatMap((directive) =>
        directive.Metrics.flatMap((m) =>
          directive.Dimensions.map((set) => ({
            namespace: directive.Namespace,
            metric: m.Name,
            unit: m.Unit,
            value: doc[m.Name] as number,
            dimensions: Object.fromEntries(set.map((k) => [k, String(doc[k])])),
          })),
        ),
      );
    });
}

/** A series as `Metric{dim=value,…}=value`, `service` left out: compact to compare. */
export function describeSeries(series: EmfSeries): string {
  const dims = Object.entries(series.dimensions)
    .filter(([k]) => k !== 'service')
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${series.metric}{${dims}}=${series.value}`;
}
