import { z } from 'zod';

const statusSchema = z.union([
  z.literal(500),
  z.literal(502),
  z.literal(503),
  z.literal(504),
  z.literal(429),
]);

export const faultConfigSchema = z.strictObject({
  /**
   * Only calls for transactions whose `customer_uid` starts with this are affected (the create
   * call by its body, the others by their token), so tests on one sandbox do not disturb each
   * other. Each prefix holds its own faults; without one, the faults apply to every other call.
   */
  customerUidPrefix: z.string().min(1).max(128).optional(),
  /** Delay added before every matching call is handled. */
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  /** A share (0..1) of matching calls delayed by `ms` more: latency spikes. */
  spikes: z
    .strictObject({ rate: z.number().min(0).max(1), ms: z.number().int().min(0).max(60_000) })
    .optional(),
  /**
   * Shares (0..1) of matching calls answered with that status, or with the socket destroyed:
   * `drop` before the call is handled, `dropAfter` once it has been handled (Berbix did the work,
   * the caller never hears of it).
   */
  rates: z
    .strictObject({
      status500: z.number().min(0).max(1).optional(),
      status502: z.number().min(0).max(1).optional(),
      status503: z.number().min(0).max(1).optional(),
      status504: z.number().min(0).max(1).optional(),
      status429: z.number().min(0).max(1).optional(),
      drop: z.number().min(0).max(1).optional(),
      dropAfter: z.number().min(0).max(1).optional(),
    })
    .optional(),
  /** Seed for the draws behind `rates`, so a run of faults can be replayed exactly. @default Math.random */
  seed: z.number().int().optional(),
  /** Retry-After (seconds) sent with 429 and 503. @default 1 */
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  /** Only these paths are affected (exact match, e.g. `/v0/images/upload`). @default every /v0 path */
  paths: z.array(z.string()).optional(),
  /** The next `count` matching calls fail deterministically, then the burst is spent. */
  burst: z
    .strictObject({
      status: z.union([statusSchema, z.literal('drop')]),
      count: z.number().int().min(1).max(10_000),
      paths: z.array(z.string()).optional(),
      retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
      /** `after`: the call is handled, then the connection is dropped instead of answered. @default 'before' */
      phase: z.enum(['before', 'after']).optional(),
    })
    .optional(),
});
export type FaultConfig = z.infer<typeof faultConfigSchema>;

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'status'; status: number; retryAfterSeconds?: number; source: 'burst' | 'rate' }
  | { kind: 'drop'; phase: 'before' | 'after'; source: 'burst' | 'rate' };

/** Decides, per call, which fault (if any) to inject; bursts are consumed in order. */
export class FaultInjector {
  private config: FaultConfig = {};
  private burstLeft = 0;
  private random: () => number = Math.random;

  set(config: FaultConfig): void {
    this.config = faultConfigSchema.parse(config);
    this.burstLeft = this.config.burst?.count ?? 0;
    this.random = this.config.seed === undefined ? Math.random : mulberry32(this.config.seed);
  }

  get(): FaultConfig & { burstRemaining: number } {
    return { ...this.config, burstRemaining: this.burstLeft };
  }

  latencyMs(path: string): number {
    if (!this.matches(this.config.paths, path)) return 0;
    const spikes = this.config.spikes;
    const spike = spikes && this.random() < spikes.rate ? spikes.ms : 0;
    return (this.config.latencyMs ?? 0) + spike;
  }

  decide(path: string): FaultDecision {
    const burst = this.config.burst;
    if (burst && this.burstLeft > 0 && this.matches(burst.paths, path)) {
      this.burstLeft--;
      if (burst.status === 'drop') return { kind: 'drop', phase: burst.phase ?? 'before', source: 'burst' };
      return {
        kind: 'status',
        status: burst.status,
        retryAfterSeconds: retryAfter(burst.status, burst.retryAfterSeconds ?? 1),
        source: 'burst',
      };
    }
    const rates = this.config.rates;
    if (!rates || !this.matches(this.config.paths, path)) return { kind: 'none' };
    // One draw per call, split into consecutive bands, so the shares add up as configured.
    const draw = this.random();
    let band = 0;
    for (const [status, rate] of [
      [500, rates.status500],
      [502, rates.status502],
      [503, rates.status503],
      [504, rates.status504],
      [429, rates.status429],
    ] as const) {
      band += rate ?? 0;
      if (draw < band) {
        return {
          kind: 'status',
          status,
          retryAfterSeconds: retryAfter(status, this.config.retryAfterSeconds ?? 1),
          source: 'rate',
        };
      }
    }
    band += rates.drop ?? 0;
    if (draw < band) return { kind: 'drop', phase: 'before', source: 'rate' };
    band += rates.dropAfter ?? 0;
    if (draw < band) return { kind: 'drop', phase: 'after', source: 'rate' };
    return { kind: 'none' };
  }

  private matches(paths: string[] | undefined, path: string): boolean {
    return !paths || paths.length === 0 || paths.includes(path);
  }
}

/**
 * The faults of every scope: one injector per `customerUidPrefix`, and one for all other calls.
 * A call takes the faults of the longest prefix its transaction's `customer_uid` starts with.
 */
export class FaultRegistry {
  private readonly unscoped = new FaultInjector();
  private readonly scoped = new Map<string, FaultInjector>();

  /** Sets the faults of the config's scope, leaving the other scopes as they are. */
  set(config: FaultConfig): void {
    const parsed = faultConfigSchema.parse(config);
    const prefix = parsed.customerUidPrefix;
    if (prefix === undefined) return this.unscoped.set(parsed);
    const injector = this.scoped.get(prefix) ?? new FaultInjector();
    injector.set(parsed);
    this.scoped.set(prefix, injector);
  }

  /** Clears one scope's faults, or every scope's. */
  clear(customerUidPrefix?: string): void {
    if (customerUidPrefix !== undefined) {
      this.scoped.delete(customerUidPrefix);
      return;
    }
    this.unscoped.set({});
    this.scoped.clear();
  }

  get(): ReturnType<FaultInjector['get']> & { scoped: ReturnType<FaultInjector['get']>[] } {
    return { ...this.unscoped.get(), scoped: [...this.scoped.values()].map((i) => i.get()) };
  }

  /** The injector deciding a call for a transaction of `customerUid` (unknown: the unscoped one). */
  for(customerUid: string | undefined): FaultInjector {
    if (customerUid === undefined) return this.unscoped;
    let best: [string, FaultInjector] | undefined;
    for (const entry of this.scoped) {
      if (customerUid.startsWith(entry[0]) && entry[0].length > (best?.[0].length ?? -1)) best = entry;
    }
    return best?.[1] ?? this.unscoped;
  }
}

function retryAfter(status: number, seconds: number): number | undefined {
  return status === 429 || status === 503 ? seconds : undefined;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same fault sequence. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
