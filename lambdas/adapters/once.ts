/**
 * `load` once, its promise kept for every later call; a failed load is forgotten, so the next call
 * tries again (a secret read while Secrets Manager was down must not break the function for good).
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = load();
      pending.catch(() => (pending = undefined));
    }
    return pending;
  };
}
