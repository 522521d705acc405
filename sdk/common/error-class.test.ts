import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { errorMessage, isError, markErrorClass } from './error-class.js';

class ThingError extends Error {
  static {
    markErrorClass(this, 'ThingError');
  }
}
class SubThingError extends ThingError {}

describe('markErrorClass', () => {
  it('names the class', () => {
    expect(new ThingError('x').name).toBe('ThingError');
    expect(String(new ThingError('x'))).toBe('ThingError: x');
  });

  it('recognises instances of another copy of the class, as from the workflow sandbox', () => {
    class OtherCopy extends Error {
      static {
        markErrorClass(this, 'ThingError');
      }
    }
    expect(new OtherCopy('x')).toBeInstanceOf(ThingError);
    expect(new ThingError('x')).toBeInstanceOf(OtherCopy);
    expect(new Error('x')).not.toBeInstanceOf(ThingError);
    expect((null as unknown) instanceof ThingError).toBe(false);
  });

  it('keeps prototype semantics for unmarked subclasses', () => {
    expect(new SubThingError('x')).toBeInstanceOf(ThingError);
    expect(new SubThingError('x')).toBeInstanceOf(SubThingError);
    expect(new ThingError('x')).not.toBeInstanceOf(SubThingError);
  });

  it('lets an instance change its name', () => {
    const err = new ThingError('x');
    err.name = 'Other';
    expect(err.name).toBe('Other');
    expect(new ThingError('y').name).toBe('ThingError');
  });
});

describe('isError', () => {
  it('recognises errors from another realm', () => {
    const foreign = vm.runInNewContext('new TypeError("boom")') as unknown;
    expect(foreign instanceof Error).toBe(false);
    expect(isError(foreign)).toBe(true);
    expect(errorMessage(foreign)).toBe('boom');
  });

  it('rejects values that are not errors', () => {
    expect(isError('boom')).toBe(false);
    expect(isError({ message: 'boom' })).toBe(false);
    expect(isError(null)).toBe(false);
    expect(errorMessage('boom')).toBe('boom');
    expect(errorMessage(42)).toBeUndefined();
  });
});
