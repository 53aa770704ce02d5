/**
 * Starts a read a use case may not end up needing, alongside the others: its failure surfaces where
 * it is awaited, and is never an unhandled rejection when it is not.
 */
export function prefetch<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
