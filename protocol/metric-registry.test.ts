import { describe, expect, it } from 'vitest';
import { MetricRegistry } from './metric-registry.js';

describe('MetricRegistry', () => {
  it('renders counters, gauges and cumulative histogram buckets as Prometheus text, with global labels', () => {
    const r = new MetricRegistry({ service_name: 'svc' });
    r.inc('c_total', 'a counter', { q: 'a' });
    r.inc('c_total', 'a counter', { q: 'a' }, 2);
    r.observe('lat', 'a latency', { q: 'a' }, 5, [1, 10]);
    r.observe('lat', 'a latency', { q: 'a' }, 50, [1, 10]);
    let n = 7;
    const stop = r.gauge('g', 'a gauge', { q: 'a"b' }, () => n);
    expect(r.render()).toBe(
      [
        '# HELP c_total a counter',
        '# TYPE c_total counter',
        'c_total{service_name="svc",q="a"} 3',
        '# HELP g a gauge',
        '# TYPE g gauge',
        'g{service_name="svc",q="a\\"b"} 7',
        '# HELP lat a latency',
        '# TYPE lat histogram',
        'lat_bucket{service_name="svc",q="a",le="1"} 0',
        'lat_bucket{service_name="svc",q="a",le="10"} 1',
        'lat_bucket{service_name="svc",q="a",le="+Inf"} 2',
        'lat_sum{service_name="svc",q="a"} 55',
        'lat_count{service_name="svc",q="a"} 2',
        '',
      ].join('\n'),
    );
    n = 8;
    expect(r.render()).toContain('g{service_name="svc",q="a\\"b"} 8');
    stop();
    expect(r.render()).not.toContain('# TYPE g gauge');
  });

  it('records through bound series into the same series as inc and observe, whatever the order of the labels', () => {
    const r = new MetricRegistry();
    const c = r.counter('c', 'a counter', { a: '1', b: '2' });
    const h = r.histogram('h', 'a latency', { a: '1' }, [1, 10]);
    c.inc();
    c.inc(2);
    r.inc('c', 'a counter', { b: '2', a: '1' });
    h.observe(0.5);
    h.observe(20);
    r.observe('h', 'a latency', { a: '1' }, 5, [1, 10]);
    const text = r.render();
    expect(text).toContain('c{a="1",b="2"} 4');
    expect(text).toContain('h_bucket{a="1",le="1"} 1');
    expect(text).toContain('h_bucket{a="1",le="10"} 2');
    expect(text).toContain('h_bucket{a="1",le="+Inf"} 3');
    expect(text).toContain('h_sum{a="1"} 25.5');
  });

  it('refuses one name as two kinds', () => {
    const r = new MetricRegistry();
    r.inc('x', 'x', {});
    expect(() => r.set('x', 'x', {}, 1)).toThrow(/counter/);
  });
});
