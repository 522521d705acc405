/**
 * How many partitions (TaskQueueObjects) a task queue is split over, from the Worker variable
 * KEEL_TASK_QUEUE_PARTITIONS. A Worker variable and not an API, because every add and every poll
 * picks a partition: reading the count must cost nothing (no request to another object). Temporal
 * does the same with its dynamic config (`matching.numTaskqueueReadPartitions`/`…Write…`, 4 by
 * default, constrained per task queue). Pure: the service and its unit tests share it.
 *
 *   KEEL_TASK_QUEUE_PARTITIONS = "8"                                   every normal queue
 *   KEEL_TASK_QUEUE_PARTITIONS = '{"default":4,"queues":{"orders":16}}' per queue (any namespace)
 *
 * A queue uses its partitions only while it is busy: below `spreadAbovePerSecond` requests a second
 * at its root, every add and poll goes to the root, where they meet with no forwarding at all (a
 * quiet queue gains nothing from partitions, and forwarding would cost a request per task).
 */

/** Temporal's default number of partitions of a task queue. */
export const DEFAULT_PARTITIONS = 4;
/** More partitions than this only add forwarding; a queue that needs more wants a second queue. */
export const MAX_PARTITIONS = 64;
/**
 * A root busier than this (requests a second) makes its callers spread over the partitions: well
 * below Cloudflare's soft limit of 1,000 a second per object, and below the 200–500 an object serves
 * when each request writes storage (docs/scale.md).
 */
export const DEFAULT_SPREAD_ABOVE_PER_SECOND = 200;

export interface PartitionConfig {
  /** Partitions of a normal queue not named in `queues`. */
  default: number;
  /** Partitions by task queue name. */
  queues: Record<string, number>;
  /** Requests a second at a queue's root above which callers spread over its partitions; 0: always. */
  spreadAbovePerSecond: number;
}

/** Thrown for a KEEL_TASK_QUEUE_PARTITIONS the service cannot read; the message says what to change. */
export class PartitionConfigError extends Error {
  override readonly name = 'PartitionConfigError';
}

const count = (v: unknown, where: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_PARTITIONS) {
    throw new PartitionConfigError(`KEEL_TASK_QUEUE_PARTITIONS: ${where} must be a whole number from 1 to ${MAX_PARTITIONS} (it is ${JSON.stringify(v)}).`);
  }
  return v;
};

/** Reads the variable: unset is Temporal's default of 4 for every queue. */
export function parsePartitionConfig(text: string | undefined): PartitionConfig {
  const trimmed = text?.trim() ?? '';
  const spreadAbovePerSecond = DEFAULT_SPREAD_ABOVE_PER_SECOND;
  if (trimmed === '') return { default: DEFAULT_PARTITIONS, queues: {}, spreadAbovePerSecond };
  if (/^\d+$/.test(trimmed)) return { default: count(Number(trimmed), 'the count'), queues: {}, spreadAbovePerSecond };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    throw new PartitionConfigError(`KEEL_TASK_QUEUE_PARTITIONS must be a number or JSON like {"default":4,"queues":{"orders":16}} (it is '${trimmed.slice(0, 100)}').`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new PartitionConfigError(`KEEL_TASK_QUEUE_PARTITIONS must be a number or a JSON object with "default" and "queues".`);
  const { default: d, queues, spreadAbovePerSecond: spread, ...rest } = value as { default?: unknown; queues?: unknown; spreadAbovePerSecond?: unknown };
  const unknownKeys = Object.keys(rest);
  if (unknownKeys.length > 0) throw new PartitionConfigError(`KEEL_TASK_QUEUE_PARTITIONS has unknown key(s) ${unknownKeys.join(', ')}; it takes "default", "queues" and "spreadAbovePerSecond".`);
  if (spread !== undefined && (typeof spread !== 'number' || !Number.isInteger(spread) || spread < 0)) {
    throw new PartitionConfigError(`KEEL_TASK_QUEUE_PARTITIONS: "spreadAbovePerSecond" must be a whole number, 0 or more (it is ${JSON.stringify(spread)}).`);
  }
  const out: PartitionConfig = { default: d === undefined ? DEFAULT_PARTITIONS : count(d, '"default"'), queues: {}, spreadAbovePerSecond: spread ?? DEFAULT_SPREAD_ABOVE_PER_SECOND };
  if (queues !== undefined) {
    if (queues === null || typeof queues !== 'object' || Array.isArray(queues)) throw new PartitionConfigError(`KEEL_TASK_QUEUE_PARTITIONS: "queues" must map task queue names to counts.`);
    for (const [name, n] of Object.entries(queues)) out.queues[name] = count(n, `queues["${name}"]`);
  }
  return out;
}

let cached: { text: string | undefined; config: PartitionConfig } | undefined;

/** The variable, parsed once per isolate (it changes only with a deploy). */
export function partitionConfig(text: string | undefined): PartitionConfig {
  if (cached === undefined || cached.text !== text) cached = { text, config: parsePartitionConfig(text) };
  return cached.config;
}

/**
 * A sticky queue's name ends in `/` and 32 hex digits (protocol/sticky-queue.ts). A sticky queue
 * is one worker's, read by that worker only, and closed as a whole when it stops: one partition.
 */
export function isStickyQueueName(taskQueue: string): boolean {
  return /\/[0-9a-f]{32}$/.test(taskQueue);
}

/** The partitions of this queue: 1 for a sticky queue, else the configured count. */
export function partitionCount(config: PartitionConfig, taskQueue: string): number {
  if (isStickyQueueName(taskQueue)) return 1;
  return config.queues[taskQueue] ?? config.default;
}

/** A partition picked at random: adds and polls spread evenly, as Temporal's load balancer does. */
export function pickPartition(partitions: number, random: () => number = Math.random): number {
  return partitions <= 1 ? 0 : Math.min(partitions - 1, Math.floor(random() * partitions));
}
