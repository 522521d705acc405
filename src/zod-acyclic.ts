/**
 * Zod's parsing, without its memoizer, for the Worker: imported first by src/index.ts, before any
 * schema is made (each container schema reads the memoizer once, when it is made).
 *
 * Zod 4.6 installs a memoizer by default that lets a parse follow reference cycles and shared
 * references in its input: every object and array a schema with a recursive member (the request
 * schemas that hold a `Failure`, whose `cause` is a Failure) meets is looked up and recorded in a
 * WeakMap per parse. Every request body the Worker validates comes from JSON.parse, which makes
 * neither cycles nor shared references, and its depth is bounded before validation (router.ts
 * `checkDepth`), so that bookkeeping never finds anything: this memoizer does none. What a schema
 * accepts and the issues it reports are the same (src/zod-acyclic.test.ts).
 */
import { z } from 'zod';

z.config({
  memoizer: {
    attach: () => undefined,
    guard: () => undefined,
    alloc: (_inst, _payload, empty) => empty,
  },
});
