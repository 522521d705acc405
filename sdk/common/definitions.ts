// Owns the signal and query definition types shared by keel/workflow (which makes them with
// defineSignal/defineQuery) and keel/client (whose handles take them), as @temporalio/common has them.

/** A signal's name and argument types, as `defineSignal` makes it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface SignalDefinition<Args extends any[] = [], Name extends string = string> {
  type: 'signal';
  name: Name;
  /** Carries `Args` for the type checker only; never set. */
  __argsBrand?: Args;
}

/** A query's name, argument types and answer type, as `defineQuery` makes it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface QueryDefinition<Ret, Args extends any[] = [], Name extends string = string> {
  type: 'query';
  name: Name;
  /** Carries `Args` and `Ret` for the type checker only; never set. */
  __argsBrand?: Args;
  __retBrand?: Ret;
}

/** An update's name, argument types and result type, as `defineUpdate` makes it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface UpdateDefinition<Ret, Args extends any[] = [], Name extends string = string> {
  type: 'update';
  name: Name;
  /** Carries `Args` and `Ret` for the type checker only; never set. */
  __argsBrand?: Args;
  __retBrand?: Ret;
}
