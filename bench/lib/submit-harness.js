// Runs one function bundle once, alone in this process, as Lambda would: loads it (the cold start),
// invokes its handler with the event in argv[3] (a JSON file) and prints what it answered and the
// process's peak resident memory. Plain JavaScript: it runs in a bare Node process.
const { readFileSync } = require('node:fs');
const { performance } = require('node:perf_hooks');

const [bundle, eventFile, exportName = 'handler'] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const t0 = performance.now();
const handler = require(bundle)[exportName];
const initMs = performance.now() - t0;
const rssAfterInitBytes = process.memoryUsage().rss;
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: 'bench-memory',
  getRemainingTimeInMillis: () => 60_000,
};
const t1 = performance.now();
Promise.resolve(handler(event, context)).then(
  (result) => finish({ ok: true, result }),
  (error) => finish({ ok: false, error: { name: error?.name, message: error?.message } }),
);

function finish(outcome) {
  process.stdout.write(
    `RESULT ${JSON.stringify({
      ...outcome,
      initMs,
      invokeMs: performance.now() - t1,
      rssAfterInitBytes,
      // ru_maxrss is in KiB on Linux: the highest resident set of this process's whole life.
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    })}\n`,
  );
  process.exit(0);
}
