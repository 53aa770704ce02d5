#!/usr/bin/env node
// The `berbix-serverless` command: the compiled CLI when the package ships one (dist/cli/run.js),
// else the TypeScript sources of this repository through tsx.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/run.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport('../cli/run.ts', import.meta.url);
}
