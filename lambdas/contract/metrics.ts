/**
 * The pipeline's CloudWatch metrics: what the functions emit (Powertools Metrics, as EMF lines in
 * their logs) and what the construct's `metric…` methods, dashboard and alarms read. Names,
 * dimensions and units are part of the contract: change them here, on both sides at once.
 *
 * Every metric carries the `service` dimension (the deployment's service name, one per construct
 * instance), so two instances in one namespace stay apart. Dimension values are low-cardinality
 * codes only: never ids, never personal data.
 */

/** The namespace unless the construct's `metricsNamespace` says otherwise. */
export const DEFAULT_METRICS_NAMESPACE = 'BerbixServerless';

/** Dimension names. `service` is Powertools' own. */
export const METRIC_DIMENSIONS = {
  service: 'service',
  /** `document_front`, `document_back`, `id_scan` (retakes: the side asked for again). */
  step: 'step',
  /** An issue code Berbix (or the local image check, `bad_upload`) answered an upload with. */
  issue: 'issue',
  /** Berbix's `action` on the result, `none` when it has none, `other` when it is not a plain code. */
  action: 'action',
  /** A documented failure reason code (docs/operations.md, "Failure reasons"). */
  reason: 'reason',
  /** The Berbix client operation: `createTransaction`, `uploadImages`, … */
  call: 'call',
  /** Berbix's HTTP status (`200`, `409`, `503`, …), or `timeout` / `network` when none came. */
  status: 'status',
} as const;

export type MetricDimension = (typeof METRIC_DIMENSIONS)[keyof typeof METRIC_DIMENSIONS];

/**
 * Each metric with its unit and the dimension sets it is emitted with (`service` is in every set;
 * the sets listed add to it, `[]` being the total over the instance). One event is one EMF line,
 * so the total and its breakdown always agree.
 */
export const METRICS = {
  /** A verification was created and its execution started (`POST /verifications`). */
  verificationsStarted: { name: 'VerificationsStarted', unit: 'Count', dimensions: [[]] },
  /** An upload (photo or barcode scan) was submitted, by the kind of upload. */
  stepsAttempted: { name: 'StepsAttempted', unit: 'Count', dimensions: [['step'], []] },
  /** An issue came back on an upload, by issue code (one per issue of the answer). */
  issuesReturned: { name: 'IssuesReturned', unit: 'Count', dimensions: [['issue'], []] },
  /** An upload was answered with the same side again, by side. */
  retakes: { name: 'Retakes', unit: 'Count', dimensions: [['step'], []] },
  /** A verification got its result, by Berbix's action. */
  verificationsCompleted: { name: 'VerificationsCompleted', unit: 'Count', dimensions: [['action'], []] },
  /** A verification ended `failed`, by failure reason. */
  verificationsFailed: { name: 'VerificationsFailed', unit: 'Count', dimensions: [['reason'], []] },
  /** A verification ended `abandoned` (no upload within `abandonAfter`). */
  verificationsAbandoned: { name: 'VerificationsAbandoned', unit: 'Count', dimensions: [[]] },
  /** A verification was deleted (`DELETE /verifications/{id}`, the first one). */
  verificationsDeleted: { name: 'VerificationsDeleted', unit: 'Count', dimensions: [[]] },
  /** An HTTP request to Berbix (each attempt of a call, retries included). */
  berbixCalls: {
    name: 'BerbixCalls',
    unit: 'Count',
    dimensions: [['call', 'status'], ['call'], []],
  },
  /** A request to Berbix that got no answer, a 5xx or a 429 (1; 0 otherwise). */
  berbixErrors: {
    name: 'BerbixErrors',
    unit: 'Count',
    dimensions: [['call', 'status'], ['call'], []],
  },
  /** Time from sending a request to Berbix to its answer's headers (or its failure). */
  berbixLatency: {
    name: 'BerbixLatency',
    unit: 'Milliseconds',
    dimensions: [['call', 'status'], ['call'], []],
  },
} as const satisfies Record<
  string,
  {
    name: string;
    unit: 'Count' | 'Milliseconds';
    dimensions: readonly (readonly Exclude<MetricDimension, 'service'>[])[];
  }
>;

export type MetricKey = keyof typeof METRICS;
