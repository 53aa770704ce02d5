/**
 * Every benchmark, run once with tiny N through `npm run bench -- --quick`, so they keep working
 * against this checkout. Nothing here judges a time: it checks each one wrote its figures, in the
 * shape docs/benchmarks.md reads them from, with values a real run produces.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PROJECT_DIR = path.resolve(__dirname, '../..');
const RUN_TIMEOUT_MS = 5 * 60_000;

interface Result<T> {
  bench: string;
  quick: boolean;
  machine: { cpus: number; node: string; loadAverageStart: number[] };
  project: { dir: string };
  results: T;
}

describe('the benchmarks, once each with tiny N', () => {
  const resultsDir = mkdtempSync(path.join(os.tmpdir(), 'bench-quick-'));
  const read = <T>(name: string) =>
    JSON.parse(readFileSync(path.join(resultsDir, `${name}.json`), 'utf8')) as Result<T>;
  let output = '';

  beforeAll(async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--results', resultsDir],
      { cwd: PROJECT_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`npm run bench -- --quick exited with ${code}:\n${output}`);
  }, RUN_TIMEOUT_MS + 10_000);

  afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

  it('records the machine and the checkout measured with every result', () => {
    for (const name of ['overhead', 'cost', 'functions', 'memory', 'concurrency']) {
      const result = read(name);
      expect(result).toMatchObject({ bench: name, quick: true, project: { dir: PROJECT_DIR } });
      expect(result.machine.cpus).toBeGreaterThan(0);
      expect(result.machine.node).toMatch(/^v22\./);
    }
  });

  it('overhead: pairs the pipeline with the same four Berbix calls made by the SDK', () => {
    const [level] = read<
      {
        medianRatio: number;
        pipelineMedianMs: number;
        sdkMedianMs: number;
        berbixCallsPerPipelineRun: string[];
      }[]
    >('overhead').results;
    expect(level!.medianRatio).toBeGreaterThan(0);
    expect(level!.pipelineMedianMs).toBeGreaterThan(0);
    expect(level!.sdkMedianMs).toBeGreaterThan(0);
    expect([...level!.berbixCallsPerPipelineRun].sort()).toEqual(
      [
        'GET /v0/transactions',
        'POST /v0/images/upload',
        'POST /v0/images/upload',
        'POST /v0/transactions',
      ].sort(),
    );
  });

  it('cost: counts and prices every scenario', () => {
    const { scenarios } = read<{
      scenarios: {
        scenario: string;
        stateTransitions: number;
        lambdaInvocations: number;
        dynamoWriteUnits: number;
        berbixCalls: Record<string, number>;
        usdPer1000: { total: number };
      }[];
    }>('cost').results;
    expect(scenarios.map((s) => s.scenario)).toEqual([
      "driver's licence",
      'passport',
      'one retake',
      'barcode scan',
      'abandoned',
    ]);
    for (const s of scenarios) {
      expect(s.stateTransitions).toBeGreaterThan(0);
      expect(s.lambdaInvocations).toBeGreaterThan(0);
      expect(s.dynamoWriteUnits).toBeGreaterThan(0);
      expect(s.usdPer1000.total).toBeGreaterThan(0);
    }
    expect(scenarios[0]!.berbixCalls).toMatchObject({ 'POST /v0/images/upload': 2 });
  });

  it('functions: sizes and init times beside the floor of their own SDK clients', () => {
    const { functions } = read<{
      functions: {
        rawKiB: number;
        floorRawKiB: number;
        initMs: number;
        floorInitMs: number;
        clients: string[];
      }[];
    }>('functions').results;
    expect(functions.length).toBeGreaterThan(0);
    for (const f of functions) {
      expect(f.clients.length).toBeGreaterThan(0);
      expect(f.floorRawKiB).toBeGreaterThan(0);
      expect(f.rawKiB).toBeGreaterThan(0);
      expect(f.initMs).toBeGreaterThan(0);
      expect(f.floorInitMs).toBeGreaterThan(0);
    }
  });

  it('memory: the standalone SubmitUpload peaked above its memory after init', () => {
    const [m] =
      read<{ imageBytes: number; peakRssMiB: number; rssAfterInitMiB: number; berbixBodyBytes: number }[]>(
        'memory',
      ).results;
    expect(m!.peakRssMiB).toBeGreaterThan(m!.rssAfterInitMiB);
    // The stand-in received the image, base64 inside JSON.
    expect(m!.berbixBodyBytes).toBeGreaterThan((m!.imageBytes * 4) / 3);
  });

  it('concurrency: every verification of both waves completed', () => {
    const [run] =
      read<{ waves: { wave: string; completed: number; errors: number; peakRssMiB: number }[] }[]>(
        'concurrency',
      ).results;
    expect(run!.waves.map((w) => [w.wave, w.completed, w.errors])).toEqual([
      ['cold', 2, 0],
      ['warm', 2, 0],
    ]);
    expect(run!.waves[0]!.peakRssMiB).toBeGreaterThan(0);
  });
});
