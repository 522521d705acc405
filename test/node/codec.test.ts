// A payload codec on client and worker keeps the service blind to user data.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, WorkflowFailedError } from 'keel/client';
import { ActivityFailure, AesGcmPayloadCodec, ApplicationFailure, decodeUtf8, type DataConverter, type Payload } from 'keel/common';
import { temporal } from 'keel/proto';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import * as activities from './fixtures/sdk-activities.js';
import { EncryptionCodec, decrypt } from './fixtures/temporal-encryption-codec.js';
import { addItem, chargeOrder, collectItems, finish, handleSecret, itemsQuery } from './fixtures/sdk-workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/sdk-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

/**
 * Every way `text` could appear in the service's JSON if it were not encrypted: as it is, and as
 * part of the base64 `data` of a payload that contains it, at each of the three byte alignments
 * (trimmed of the characters that depend on the bytes around it).
 */
function plaintextForms(text: string): string[] {
  const forms = [text];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.from('x'.repeat(shift) + text).toString('base64');
    forms.push(b64.slice(Math.ceil((shift * 4) / 3) + 4, -4));
  }
  return forms;
}

describe('payload codec', () => {
  it('AesGcmPayloadCodec on client and worker: the service stores only ciphertext, result() decrypts', async () => {
    const codec = await AesGcmPayloadCodec.create({ keyId: 'test-key', key: AesGcmPayloadCodec.generateKey() });
    const dataConverter: DataConverter = { payloadCodecs: [codec] };
    const client = new Client({ connection: env.nativeConnection, namespace: env.namespace, dataConverter });
    const taskQueue = 'codec';
    const workflowId = 'codec-1';
    const secret = 'attack at dawn, bring the blue folder';

    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, dataConverter, shutdownSignals: [] });
    const handle = await client.workflow.start(handleSecret, { taskQueue, workflowId, args: [secret] });
    const result = await worker.runUntil(handle.result());
    expect(result).toBe(`${secret} (seen by the activity)`);
    // The activity saw the decrypted input.
    expect(activities.seen.get(workflowId)?.attempts).toEqual([1]);

    // What the service holds, read over plain HTTP.
    const response = await fetch(`http://${env.address}/api/v1/namespaces/${env.namespace}/workflows/${workflowId}/history`);
    expect(response.status).toBe(200);
    const raw = await response.text();
    const events = (JSON.parse(raw) as { events: Array<{ eventType: string; attributes: Record<string, unknown> }> }).events;
    expect(events.map((e) => e.eventType)).toContain('WorkflowExecutionCompleted');
    for (const form of [...plaintextForms(secret), ...plaintextForms('seen by the activity')]) {
      expect(raw).not.toContain(form);
    }
    // Input, activity input and result, and workflow result are all encrypted payloads.
    const encrypted = Buffer.from('binary/encrypted').toString('base64');
    const started = events.find((e) => e.eventType === 'WorkflowExecutionStarted')!.attributes as { input: Array<{ metadata: Record<string, string> }> };
    expect(started.input[0]!.metadata.encoding).toBe(encrypted);
    const completed = events.find((e) => e.eventType === 'WorkflowExecutionCompleted')!.attributes as { result: { metadata: Record<string, string> } };
    expect(completed.result.metadata.encoding).toBe(encrypted);
    const activityDone = events.find((e) => e.eventType === 'ActivityTaskCompleted')!.attributes as { result: { metadata: Record<string, string> } };
    expect(activityDone.result.metadata.encoding).toBe(encrypted);

    // Sanity check of the check: without the codec the plaintext would be there.
    const plainWorker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'codec-plain', workflowsPath, activities, shutdownSignals: [] });
    await plainWorker.runUntil(env.client.workflow.execute(handleSecret, { taskQueue: 'codec-plain', workflowId: 'codec-plain-1', args: [secret] }));
    const plainRaw = await (await fetch(`http://${env.address}/api/v1/namespaces/${env.namespace}/workflows/codec-plain-1/history`)).text();
    expect(plaintextForms(secret).some((form) => plainRaw.includes(form))).toBe(true);
  });

  it('runs an encryption codec written as Temporal’s sample (keel/proto Payload.encode/decode, webcrypto AES-GCM) unchanged', async () => {
    // The sample codec, watched: what it is handed must be Temporal's shape, bytes, on both paths.
    const handed: Payload[] = [];
    class WatchedCodec extends EncryptionCodec {
      override async encode(payloads: Payload[]): Promise<Payload[]> {
        handed.push(...payloads);
        return super.encode(payloads);
      }
      override async decode(payloads: Payload[]): Promise<Payload[]> {
        handed.push(...payloads);
        return super.decode(payloads);
      }
    }
    const codec = await WatchedCodec.create('sample-key', new Uint8Array(32).fill(3));
    const dataConverter: DataConverter = { payloadCodecs: [codec] };
    const client = new Client({ connection: env.nativeConnection, namespace: env.namespace, dataConverter });
    const taskQueue = 'codec-temporal-sample';
    const workflowId = 'codec-temporal-sample-1';
    const secret = 'the vault opens at noon';

    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, dataConverter, shutdownSignals: [] });
    const handle = await client.workflow.start(handleSecret, { taskQueue, workflowId, args: [secret] });
    expect(await worker.runUntil(handle.result())).toBe(`${secret} (seen by the activity)`);

    expect(handed.length).toBeGreaterThan(0);
    for (const p of handed) {
      expect(p.data).toBeInstanceOf(Uint8Array);
      for (const value of Object.values(p.metadata ?? {})) expect(value).toBeInstanceOf(Uint8Array);
    }

    // The stored history holds only ciphertext, marked as the sample marks it.
    const raw = await (await fetch(`http://${env.address}/api/v1/namespaces/${env.namespace}/workflows/${workflowId}/history`)).text();
    for (const form of [...plaintextForms(secret), ...plaintextForms('seen by the activity')]) expect(raw).not.toContain(form);
    type Stored = { metadata: Record<string, string>; data: string };
    const events = (JSON.parse(raw) as { events: Array<{ eventType: string; attributes: Record<string, unknown> }> }).events;
    const input = (events.find((e) => e.eventType === 'WorkflowExecutionStarted')!.attributes as { input: Stored[] }).input[0]!;
    const result = (events.find((e) => e.eventType === 'WorkflowExecutionCompleted')!.attributes as { result: Stored }).result;
    const activityResult = (events.find((e) => e.eventType === 'ActivityTaskCompleted')!.attributes as { result: Stored }).result;
    for (const stored of [input, result, activityResult]) {
      expect(Buffer.from(stored.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
      expect(Buffer.from(stored.metadata['encryption-key-id']!, 'base64').toString()).toBe('sample-key');
    }

    // The stored bytes, decrypted by hand, are a protobuf Payload that keel/proto reads: the converter's JSON.
    const plaintext = await decrypt(new Uint8Array(Buffer.from(input.data, 'base64')), codec.key());
    const original = temporal.api.common.v1.Payload.decode(plaintext);
    expect(decodeUtf8(original.metadata.encoding)).toBe('json/plain');
    expect(JSON.parse(decodeUtf8(original.data))).toBe(secret);

    // A client without the codec sees the encrypted payload it cannot read; a client with it reads the result.
    await expect(env.client.workflow.getHandle(workflowId).result()).rejects.toThrow(/encrypted/);
    expect(await client.workflow.getHandle(workflowId).result()).toBe(`${secret} (seen by the activity)`);
  });

  it('signal arguments and query answers go through the codec too', async () => {
    const codec = await AesGcmPayloadCodec.create({ keyId: 'test-key-2', key: AesGcmPayloadCodec.generateKey() });
    const dataConverter: DataConverter = { payloadCodecs: [codec] };
    const client = new Client({ connection: env.nativeConnection, namespace: env.namespace, dataConverter });
    const taskQueue = 'codec-signals';
    const workflowId = 'codec-signals-1';
    const secret = 'the safe combination is 12-34-56';

    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, dataConverter, shutdownSignals: [] });
    const result = await worker.runUntil(async () => {
      const handle = await client.workflow.start(collectItems, { taskQueue, workflowId });
      await handle.signal(addItem, secret);
      expect(await handle.query(itemsQuery)).toEqual([secret]);
      await handle.signal(finish);
      return await handle.result();
    });
    expect(result).toEqual([secret]);
    const raw = await (await fetch(`http://${env.address}/api/v1/namespaces/${env.namespace}/workflows/${workflowId}/history`)).text();
    expect(raw).toContain('WorkflowExecutionSignaled');
    for (const form of plaintextForms(secret)) expect(raw).not.toContain(form);
  });

  it('failure details are encrypted in history and decoded for the caller', async () => {
    const codec = await AesGcmPayloadCodec.create({ keyId: 'test-key-3', key: AesGcmPayloadCodec.generateKey() });
    const dataConverter: DataConverter = { payloadCodecs: [codec] };
    const client = new Client({ connection: env.nativeConnection, namespace: env.namespace, dataConverter });
    const taskQueue = 'codec-failure';
    const workflowId = 'codec-failure-1';

    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities, dataConverter, shutdownSignals: [] });
    const err = await worker.runUntil(client.workflow.execute(chargeOrder, { taskQueue, workflowId, args: ['order-9'] }).then(() => undefined, (e: unknown) => e));
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = ((err as WorkflowFailedError).cause as ActivityFailure).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.details).toEqual([{ orderId: 'order-9', code: 51 }]);
    const raw = await (await fetch(`http://${env.address}/api/v1/namespaces/${env.namespace}/workflows/${workflowId}/history`)).text();
    expect(raw).toContain('WorkflowExecutionFailed');
    // (The failure message stays readable, as in Temporal; the details are payloads.)
    for (const form of plaintextForms('"orderId":"order-9","code":51')) expect(raw).not.toContain(form);
  });
});
