// Owns `keel api-key create`: a new random API key and the grant that lets the service accept
// it. Only the grant (the key's SHA-256 and its namespaces) goes into the service's
// KEEL_API_KEYS secret; the key itself is shown once and stored nowhere.
import { createHash, randomBytes } from 'node:crypto';
import { formatJson, formatJsonLine, type Io, type OutputFormat } from './output.js';

export interface CreateApiKeyFlags {
  name?: string;
  namespace: string[];
  output: OutputFormat;
}

export function createApiKey(flags: CreateApiKeyFlags, io: Io): void {
  // 32 random bytes, base64url: 256 bits, and safe in a header, a URL or a shell variable.
  const key = `keel_${randomBytes(32).toString('base64url')}`;
  const grant = { ...(flags.name ? { name: flags.name } : {}), sha256: createHash('sha256').update(key).digest('hex'), namespaces: flags.namespace };
  if (flags.output !== 'text') {
    io.out(flags.output === 'json' ? formatJson({ key, grant }) : formatJsonLine({ key, grant }) + '\n');
    return;
  }
  io.out(
    [
      'API key (give it to the client as apiKey / --api-key / KEEL_API_KEY; it is not shown again):',
      `  ${key}`,
      '',
      "Grant (add it to the list in the service's KEEL_API_KEYS secret, e.g. `npx wrangler secret put KEEL_API_KEYS`):",
      `  ${JSON.stringify(grant)}`,
      '',
    ].join('\n'),
  );
}
