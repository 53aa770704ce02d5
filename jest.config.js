// Jest runs TypeScript through SWC (no type-checking here: `npm run typecheck` does that).
const { existsSync } = require('node:fs');

const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

// ESM-only packages are compiled to CommonJS for Jest; @middy/core exposes only an `import` condition.
const esmOnly = ['@middy', 'jose'];

const base = {
  transform: { '^.+\\.(t|j)sx?$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper: {
    '^@middy/([a-z-]+)$': '<rootDir>/node_modules/@middy/$1/index.js',
    // examples/ import the package by name; the tests run them on the sources.
    '^berbix-serverless$': '<rootDir>/lib/index.ts',
  },
  testEnvironment: 'node',
  clearMocks: true,
};

const project = (name, extra = {}) => ({
  ...base,
  displayName: name,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  ...extra,
});

// Each project on a local cloud starts its own (global setup), named through `globals`; its
// teardown stops it and scans what the run made observable for leaks, which the setup file records.
const onLocalCloud = (name) => {
  const hooks = { globals: { __LOCAL_CLOUD_NAME__: name }, slowTestThreshold: 30 };
  if (existsSync(`${__dirname}/test/${name}/global-setup.ts`)) {
    hooks.globalSetup = `<rootDir>/test/${name}/global-setup.ts`;
    hooks.globalTeardown = `<rootDir>/test/${name}/global-teardown.ts`;
    hooks.setupFiles = ['<rootDir>/test/integration/support/record-observations.ts'];
  }
  return hooks;
};

module.exports = {
  projects: [
    project('unit'),
    project('sandbox'),
    project('infra'),
    project('statemachine'),
    project('integration', onLocalCloud('integration')),
    project('reliability', onLocalCloud('reliability')),
    project('browser', onLocalCloud('browser')),
    // Each benchmark once with tiny N, so they keep working (npm run bench measures).
    project('bench', { slowTestThreshold: 60 }),
    // npm pack, installed into a fresh CDK app of a customer's, compiled and synthesized (minutes).
    project('package', { slowTestThreshold: 300 }),
  ],
  testTimeout: 60_000,
};
