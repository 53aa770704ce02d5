#!/usr/bin/env node
// The `berbix-serverless` command. In this repository it runs the TypeScript sources (cli/) through
// tsx, so it never lags behind them; the installed package has no sources and runs the bundle that
// `npm run build:package` wrote (dist/cli/run.mjs).
import { existsSync } from 'node:fs';

const sources = new URL('../cli/run.ts', import.meta.url);
if (existsSync(sources)) {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport('../cli/run.ts', import.meta.url);
} else {
  await import(new URL('../dist/cli/run.mjs', import.meta.url).href);
}
