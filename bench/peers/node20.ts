// Restate's SDK 1.17 calls Promise.withResolvers (ES2024, Node ≥ 22); this machine runs
// Node 20. The standard function, as the spec defines it, for the endpoint process only.
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= function withResolvers<T>() {
  let resolve!: (v: T | PromiseLike<T>) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
export {};
