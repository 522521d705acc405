import { describe, expect, it } from 'vitest';
import { Api } from '../../protocol/api.js';
import { PATHS } from './api.js';

describe('UI API paths', () => {
  it('are the protocol endpoint table\'s paths', () => {
    for (const [name, path] of Object.entries(PATHS)) expect(path, name).toBe(Api[name as keyof typeof Api].path);
  });
});
