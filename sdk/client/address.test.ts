import { describe, expect, it } from 'vitest';
import { serviceBaseUrl } from './address.js';

describe('serviceBaseUrl', () => {
  it('reads Temporal-style host:port addresses as plain http', () => {
    expect(serviceBaseUrl('127.0.0.1:7233')).toBe('http://127.0.0.1:7233');
    expect(serviceBaseUrl('localhost:7233')).toBe('http://localhost:7233');
    expect(serviceBaseUrl('[::1]:9000')).toBe('http://[::1]:9000');
  });

  it('defaults to 127.0.0.1:7233, and to port 7233 for a bare host', () => {
    expect(serviceBaseUrl()).toBe('http://127.0.0.1:7233');
    expect(serviceBaseUrl('keel.internal')).toBe('http://keel.internal:7233');
  });

  it('keeps an explicit port even when it is the scheme default', () => {
    expect(serviceBaseUrl('localhost:80')).toBe('http://localhost');
    expect(serviceBaseUrl('localhost:80')).not.toContain('7233');
  });

  it('uses https for a schemeless address when tls is set', () => {
    expect(serviceBaseUrl('keel.example.com:443', true)).toBe('https://keel.example.com');
  });

  it('takes full http(s) URLs as they are, path prefix included, without a trailing slash', () => {
    expect(serviceBaseUrl('https://keel.example.workers.dev/')).toBe('https://keel.example.workers.dev');
    expect(serviceBaseUrl('http://localhost:8787/keel/')).toBe('http://localhost:8787/keel');
    expect(serviceBaseUrl('HTTPS://Keel.Example.com')).toBe('https://keel.example.com');
  });

  it('refuses other schemes, queries and credentials with a message saying what to change', () => {
    expect(() => serviceBaseUrl('grpc://localhost:7233')).toThrow(/scheme must be http or https/);
    expect(() => serviceBaseUrl('http://localhost:7233/?x=1')).toThrow(/query or fragment/);
    expect(() => serviceBaseUrl('https://user:secret@keel.example.com')).toThrow(/apiKey/);
    expect(() => serviceBaseUrl('  ')).toThrow(/empty/);
  });
});
