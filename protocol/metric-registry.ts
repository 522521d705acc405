// Metrics in memory and their Prometheus text form (exposition format 0.0.4), for the worker
// (sdk/worker/worker-metrics.ts) and the service (src/metrics/):
// counters, gauges (set, or read when scraped) and histograms, each with labels. Pure: the HTTP
// endpoints that serve `render()` are sdk/worker/prometheus-endpoint.ts and GET /api/v1/metrics.

export type Labels = Readonly<Record<string, string>>;

/** Temporal's Core SDK histogram buckets for latencies, in milliseconds (its default unit). */
export const LATENCY_BUCKETS_MS = [1, 10, 50, 100, 500, 1000, 5000, 10_000, 60_000] as const;

type Kind = 'counter' | 'gauge' | 'histogram';

interface Series {
  labels: Labels;
  value: number;
  /** Histograms: the count per bucket (not cumulative), the sum. */
  buckets?: number[];
  sum?: number;
}

interface Family {
  kind: Kind;
  help: string;
  buckets?: readonly number[];
  series: Map<string, Series>;
  /** Gauges read at scrape time, by label set. */
  readers: Map<string, { labels: Labels; read: () => number }>;
}

const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));

/** Escapes a label value as the text format wants (backslash, double quote, newline). */
const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  if (extra) pairs.push(`${extra[0]}="${escape(extra[1])}"`);
  return pairs.length > 0 ? `{${pairs.join(',')}}` : '';
}

/** One counter series, looked up once: `inc` does not hash its labels again (the worker counts per exchange). */
export interface BoundCounter {
  inc(by?: number): void;
}

/** One histogram series, looked up once. */
export interface BoundHistogram {
  observe(value: number): void;
}

function record(s: Series, buckets: readonly number[], value: number): void {
  s.value++;
  s.sum! += value;
  for (let i = 0; i < buckets.length; i++) {
    if (value <= buckets[i]!) {
      s.buckets![i]!++;
      return;
    }
  }
}

const number = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN');

export class MetricRegistry {
  private readonly families = new Map<string, Family>();

  /** Labels every series carries (Temporal's `service_name`, the process's global tags). */
  constructor(private readonly globalLabels: Labels = {}) {}

  private family(name: string, kind: Kind, help: string, buckets?: readonly number[]): Family {
    let f = this.families.get(name);
    if (!f) this.families.set(name, (f = { kind, help, ...(buckets ? { buckets } : {}), series: new Map(), readers: new Map() }));
    else if (f.kind !== kind) throw new TypeError(`metric ${name} is a ${f.kind}, not a ${kind}`);
    return f;
  }

  private series(f: Family, labels: Labels): Series {
    const k = key(labels);
    let s = f.series.get(k);
    if (!s) f.series.set(k, (s = { labels: { ...this.globalLabels, ...labels }, value: 0, ...(f.buckets ? { buckets: f.buckets.map(() => 0), sum: 0 } : {}) }));
    return s;
  }

  inc(name: string, help: string, labels: Labels, by = 1): void {
    this.series(this.family(name, 'counter', help), labels).value += by;
  }

  /** The series `inc(name, help, labels)` counts into, bound; it appears (at 0) from now on. */
  counter(name: string, help: string, labels: Labels): BoundCounter {
    const s = this.series(this.family(name, 'counter', help), labels);
    return {
      inc: (by = 1) => {
        s.value += by;
      },
    };
  }

  set(name: string, help: string, labels: Labels, value: number): void {
    this.series(this.family(name, 'gauge', help), labels).value = value;
  }

  /** A gauge read when scraped; the returned function stops reading it (its series goes). */
  gauge(name: string, help: string, labels: Labels, read: () => number): () => void {
    const f = this.family(name, 'gauge', help);
    const k = key(labels);
    f.readers.set(k, { labels: { ...this.globalLabels, ...labels }, read });
    return () => {
      if (f.readers.get(k)?.read === read) f.readers.delete(k);
    };
  }

  observe(name: string, help: string, labels: Labels, value: number, buckets: readonly number[] = LATENCY_BUCKETS_MS): void {
    record(this.series(this.family(name, 'histogram', help, buckets), labels), buckets, value);
  }

  /** The series `observe(name, help, labels, …)` records into, bound; it appears (empty) from now on. */
  histogram(name: string, help: string, labels: Labels, buckets: readonly number[] = LATENCY_BUCKETS_MS): BoundHistogram {
    const s = this.series(this.family(name, 'histogram', help, buckets), labels);
    return { observe: (value) => record(s, buckets, value) };
  }

  /** A histogram counted elsewhere (per-bucket counts, not cumulative, over `buckets`), added to this series. */
  addHistogram(name: string, help: string, labels: Labels, counted: { buckets: readonly number[]; sum: number; count: number }, buckets: readonly number[] = LATENCY_BUCKETS_MS): void {
    const s = this.series(this.family(name, 'histogram', help, buckets), labels);
    counted.buckets.forEach((n, i) => (s.buckets![i]! += n));
    s.sum! += counted.sum;
    // Observations above the last bucket are in the count only.
    s.value += counted.count;
  }

  /** Every metric as Prometheus text. */
  render(): string {
    const out: string[] = [];
    for (const [name, f] of [...this.families].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (f.series.size === 0 && f.readers.size === 0) continue;
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.kind}`);
      for (const s of f.series.values()) {
        if (f.kind !== 'histogram') {
          out.push(`${name}${labelText(s.labels)} ${number(s.value)}`);
          continue;
        }
        let cumulative = 0;
        f.buckets!.forEach((b, i) => {
          cumulative += s.buckets![i]!;
          out.push(`${name}_bucket${labelText(s.labels, ['le', String(b)])} ${cumulative}`);
        });
        out.push(`${name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.value}`, `${name}_sum${labelText(s.labels)} ${number(s.sum!)}`, `${name}_count${labelText(s.labels)} ${s.value}`);
      }
      for (const r of f.readers.values()) out.push(`${name}${labelText(r.labels)} ${number(r.read())}`);
    }
    return out.length > 0 ? out.join('\n') + '\n' : '';
  }
}
