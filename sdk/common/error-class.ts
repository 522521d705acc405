// Owns how Keel's error classes name themselves and answer `instanceof` across realms.
//
// Why: workflow code runs in a `node:vm` context with its own bundled copy of this module, so an
// `ApplicationFailure` thrown inside the sandbox is not an instance of the worker's
// `ApplicationFailure` class by prototype. Each marked class carries a `Symbol.for` marker on its
// prototype, and `instanceof` checks the marker, which is shared by every realm and every copy
// of the module (the approach of Temporal's `SymbolBasedInstanceOfError`).

/** Any class whose instances are errors, whatever its constructor's parameters. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Gives an error class its `name` (on the prototype, so `err.name` reads it and a subclass may set
 * its own) and makes `instanceof` recognise instances from any realm or copy of the SDK.
 *
 * Call it once per class, from a static block:
 *
 * @example
 * export class ValueError extends Error {
 *   static { markErrorClass(this, 'ValueError'); }
 * }
 */
export function markErrorClass(clazz: ErrorClass, name: string): void {
  const marker = Symbol.for(`keel.errorClass.${name}`);
  Object.defineProperty(clazz.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(clazz.prototype, marker, { value: true, enumerable: false });
  Object.defineProperty(clazz, Symbol.hasInstance, {
    value(this: ErrorClass, value: unknown): boolean {
      if (this === clazz) {
        return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
      }
      // An unmarked subclass (e.g. a user's `class MyFailure extends ApplicationFailure`) inherits
      // this method; it gets ordinary prototype-chain semantics.
      return Function.prototype[Symbol.hasInstance].call(this, value);
    },
  });
}

/**
 * Whether `value` looks like an `Error` from any realm: a real `Error`, or an object with string
 * `name` and `message` (what an `Error` from the workflow sandbox looks like to the worker).
 */
export function isError(value: unknown): value is Error {
  if (value instanceof Error) return true;
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; message?: unknown; stack?: unknown };
  return typeof v.name === 'string' && typeof v.message === 'string' && (v.stack == null || typeof v.stack === 'string');
}

/** The message of an error-like value, `String(value)` for a string, else `undefined`. */
export function errorMessage(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isError(value)) return value.message;
  return undefined;
}
