import { z } from 'zod';

const statusSchema = z.union([
  z.literal(500),
  z.literal(502),
  z.literal(503),
  z.literal(504),
  z.literal(429),
]);

export const faultConfigSchema = z.strictObject({
  /** Delay added before every matching call is handled. */
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  /** Shares (0..1) of matching calls answered with that status, or with the socket destroyed. */
  rates: z
    .strictObject({
      status500: z.number().min(0).max(1).optional(),
      status503: z.number().min(0).max(1).optional(),
      status429: z.number().min(0).max(1).optional(),
      drop: z.number().min(0).max(1).optional(),
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
    return this.matches(this.config.paths, path) ? (this.config.latencyMs ?? 0) : 0;
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
      [503, rates.status503],
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
    return { kind: 'none' };
  }

  private matches(paths: string[] | undefined, path: string): boolean {
    return !paths || paths.length === 0 || paths.includes(path);
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
