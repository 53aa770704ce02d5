/** The JWT scopes a deployment uses unless it is told others (`clientScope`, `backendScope`). */
export const DEFAULT_SCOPES = {
  /** End-user apps: their own verifications. */
  client: 'verifications/client',
  /** The customer's backend: any verification, results, deletion. */
  backend: 'verifications/backend',
} as const;
