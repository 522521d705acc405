// What the peers bench needs of an engine: start it (server + worker, state on disk), run the
// three workflows of the standard workloads to their result, and stop it. Each engine lives
// in engines/<name>.ts; the workloads (driver.ts) are the same for all.

/** The W3 workflow's own view of its sleep: its clock before and after (ms since the epoch). */
export interface SleepResult {
  before: number;
  after: number;
}

export interface Engine {
  /** Name and version, as the table shows it. */
  readonly label: string;
  /** Runs W1 (one activity that echoes `value`) to its result. */
  w1(id: string, value: string): Promise<string>;
  /** Runs W2 (`steps` sequential activities) to its result: the number of steps. */
  w2(id: string, steps: number): Promise<number>;
  /** Runs W3's workflow (one durable sleep of `ms`) to its result. */
  sleep(id: string, ms: number): Promise<SleepResult>;
  stop(): Promise<void>;
}

export type EngineFactory = (o: { stateDir: string }) => Promise<Engine>;

export const ENGINES = ['keel', 'keel-before', 'floor', 'floor-ws', 'restate', 'cf-workflows', 'floor-noalarm', 'floor-nod1', 'floor-nosql', 'floor-xrpc', 'floor-xhttp', 'floor-shard', 'floor-shard-gc', 'floor-lean', 'floor-lean-ws'] as const;
/** Keel's floor: the engine with Keel's design and no logic (protocol 7: the lean design over shard channels). */
export const KEELS_FLOOR = 'floor-lean-ws' satisfies EngineName;
/** What `--engines` defaults to: the peers and Keel's floor (the floor's variants are named, or `--engines floor-parts`). */
export const DEFAULT_ENGINES: EngineName[] = ['keel', KEELS_FLOOR, 'restate', 'cf-workflows'];
/** `--engines floor-parts`: Keel, Restate and every variant of the floor ("Where the floor's time goes"). */
export const FLOOR_PARTS: EngineName[] = ['keel', 'restate', 'floor', 'floor-noalarm', 'floor-nod1', 'floor-nosql', 'floor-xrpc', 'floor-xhttp', 'floor-shard', 'floor-shard-gc', 'floor-lean', 'floor-lean-ws'];
export type EngineName = (typeof ENGINES)[number];

export async function loadEngine(name: EngineName): Promise<EngineFactory> {
  switch (name) {
    case 'keel':
      return (await import('./engines/keel')).startKeel;
    case 'keel-before':
      return (await import('./engines/keel')).startKeelBefore;
    case 'restate':
      return (await import('./engines/restate')).startRestate;
    case 'cf-workflows':
      return (await import('./engines/cf-workflows')).startCloudflareWorkflows;
    default:
      return (await import('./engines/floor')).floorEngine(name);
  }
}
