/** A pause. The use cases that wait take one as a dependency, so tests run them on a fake clock. */
export type Sleep = (ms: number) => Promise<void>;

/** The real pause: a timer. */
export const sleep: Sleep = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms));
