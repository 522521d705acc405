import type { Plugin } from 'esbuild';

/** fflate's esm source with its deflate's buffers pooled; throws when the source is not the one this was written for. */
export function pooledFflateSource(source: string): string;
/** The esbuild plugin that applies `pooledFflateSource` to fflate's esm modules. */
export const fflatePooledBuffers: Plugin;
