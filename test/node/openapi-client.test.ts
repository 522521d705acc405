// The OpenAPI document as other tools use it: the document a running service serves passes an
// OpenAPI 3.1 validator; openapi-typescript generates a client from it (examples/openapi-client/
// generate.mjs); the example program type-checks against that client, then starts a workflow and
// reads its history through it (openapi-fetch), with no Keel SDK.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService, type LocalService } from 'keel/testing';

const run = promisify(execFile);
const dir = fileURLToPath(new URL('../../examples/openapi-client/', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
let service: LocalService;

beforeAll(async () => {
  service = await startLocalService();
});
afterAll(async () => {
  rmSync(`${dir}keel-api.d.ts`, { force: true });
  await service?.stop();
});

describe('the OpenAPI document with standard tools', () => {
  it('is served, and passes the OpenAPI 3.1 validator', async () => {
    const doc = (await (await fetch(`http://${service.address}/api/v1/openapi.json`)).json()) as Record<string, unknown>;
    expect(await new Validator().validate(doc)).toEqual({ valid: true });
  });

  it('generates a client that type-checks against a program, which then starts a workflow and reads its history', async () => {
    await run(process.execPath, [`${dir}generate.mjs`, `http://${service.address}/api/v1/openapi.json`], { cwd: root });
    await run(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${dir}tsconfig.json`], { cwd: root });
    const { stdout } = await run(process.execPath, ['--import', 'tsx', `${dir}main.ts`], { cwd: root, env: { ...process.env, KEEL_ADDRESS: service.address } });
    expect(stdout).toMatch(/^started openapi-client-\d+ run [\w-]+\n1 WorkflowExecutionStarted\n2 WorkflowTaskScheduled\n$/);
  });
});
