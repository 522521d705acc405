/** Every subpath export of package.json: its specifier (`keel/client`) and the absolute path of its source module. */
export function packageExports(): Array<{ specifier: string; source: string }>;
