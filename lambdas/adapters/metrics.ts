import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS, type MetricDimension, type MetricKey } from '../contract/metrics';

/**
 * The verification funnel as the use cases report it, where each event happens. Values are codes
 * (steps, issue codes, actions, failure reasons), never ids or personal data.
 */
export interface Funnel {
  /** A verification was created and its execution started. */
  started(): void;
  /**
   * An upload was submitted and its outcome recorded: the kind of upload, the issues it came back
   * with, and the side asked for again when it was a retake.
   */
  uploadSubmitted(upload: { step: string; issues: readonly string[]; retakeOf?: string }): void;
  /** A verification got its result; Berbix's action, null when it gave none. */
  completed(action: string | null): void;
  failed(reason: string): void;
  abandoned(): void;
  deleted(): void;
}

/** One HTTP request to Berbix, as the observed `fetch` saw it. */
export interface BerbixCallRecord {
  /** The client operation, e.g. `uploadImages`. */
  call: string;
  /** The HTTP status, or `timeout` / `network` when no answer came. */
  status: string;
  /** No answer, a 5xx or a 429: Berbix's fault, not the request's. */
  error: boolean;
  latencyMs: number;
}

export interface BerbixCallMetrics {
  berbixCall(record: BerbixCallRecord): void;
}

type DimensionValues = Partial<Record<Exclude<MetricDimension, 'service'>, string>>;

/** Dimension values are codes: anything else is reported as `other` (it could be an id or free text). */
const CODE = /^[A-Za-z0-9_]{1,64}$/;
const code = (value: string): string => (CODE.test(value) ? value : 'other');

/** Berbix's `action` as a dimension value: `none` when there is none. */
const actionCode = (action: string | null): string => (action === null ? 'none' : code(action));

/**
 * The funnel and the Berbix calls as CloudWatch metrics, through Powertools Metrics (EMF lines on
 * stdout, which Lambda sends to CloudWatch Logs and CloudWatch turns into metrics).
 *
 * Each event is written at once as its own line, with the dimension sets `lambdas/contract/metrics.ts`
 * gives its metrics: a breakdown and its total in one line. Nothing is buffered, so there is no
 * flush to forget and invocations sharing an environment (the local cloud) cannot mix dimensions.
 * A dimension set that shares a dimension with another (`call, status` and `call`) goes on a second
 * line: one EMF line cannot repeat a key.
 */
export class VerificationMetrics implements Funnel, BerbixCallMetrics {
  readonly #namespace: string;
  readonly #serviceName: string;

  constructor(options: { namespace: string; serviceName: string }) {
    this.#namespace = options.namespace;
    this.#serviceName = options.serviceName;
  }

  started(): void {
    this.#emit({ verificationsStarted: 1 }, {});
  }

  uploadSubmitted(upload: { step: string; issues: readonly string[]; retakeOf?: string }): void {
    this.#emit({ stepsAttempted: 1 }, { step: code(upload.step) });
    for (const issue of upload.issues) this.#emit({ issuesReturned: 1 }, { issue: code(issue) });
    if (upload.retakeOf !== undefined) this.#emit({ retakes: 1 }, { step: code(upload.retakeOf) });
  }

  completed(action: string | null): void {
    this.#emit({ verificationsCompleted: 1 }, { action: actionCode(action) });
  }

  failed(reason: string): void {
    this.#emit({ verificationsFailed: 1 }, { reason: code(reason) });
  }

  abandoned(): void {
    this.#emit({ verificationsAbandoned: 1 }, {});
  }

  deleted(): void {
    this.#emit({ verificationsDeleted: 1 }, {});
  }

  berbixCall(record: BerbixCallRecord): void {
    this.#emit(
      {
        berbixCalls: 1,
        berbixErrors: record.error ? 1 : 0,
        berbixLatency: Math.max(0, Math.round(record.latencyMs)),
      },
      { call: code(record.call), status: code(record.status) },
    );
  }

  /** Writes metrics that share their dimension sets (the first one's), as few lines as EMF allows. */
  #emit(values: Partial<Record<MetricKey, number>>, dimensions: DimensionValues): void {
    const keys = Object.keys(values) as MetricKey[];
    const sets = METRICS[keys[0]!].dimensions as readonly (readonly (keyof DimensionValues)[])[];
    const breakdowns = sets.filter((set) => set.length > 0);
    const withTotal = sets.some((set) => set.length === 0);
    const lines = breakdowns.length > 0 ? breakdowns : [[]];
    try {
      lines.forEach((set, i) => {
        const line = new Metrics({ namespace: this.#namespace, serviceName: this.#serviceName });
        for (const name of set) line.addDimension(name, dimensions[name] ?? 'other');
        // The total (`service` alone) rides on the first line that has a breakdown.
        if (i === 0 && withTotal && set.length > 0) line.addDimensions({});
        for (const key of keys) line.addMetric(METRICS[key].name, METRICS[key].unit, values[key]!);
        line.publishStoredMetrics();
      });
    } catch {
      // A metric is never worth failing a verification for.
    }
  }
}
