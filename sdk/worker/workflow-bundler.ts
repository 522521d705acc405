// Owns turning a workflows module into one self-contained script for the workflow sandbox:
// esbuild with a generated entry that installs the runtime, `keel/workflow` and `keel/common`
// pinned to this SDK's own copy, and a clear error for anything the sandbox cannot load.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { RUNTIME_GLOBAL } from '../workflow/activation.js';
import * as commonExports from '../common/index.js';
import * as workflowExports from '../workflow/index.js';
import { WorkflowBundleError } from './errors.js';

/** Options of {@link bundleWorkflowCode}. */
export interface BundleOptions {
  /**
   * The module that exports the workflow functions (a file, or a directory with an index);
   * relative paths are taken from the current directory. Every export that is a function is a
   * workflow type, under its export name.
   */
  workflowsPath: string;
  /** Embed an inline source map, so stack traces can be mapped to the original files. Default true. */
  sourceMap?: boolean;
  /**
   * Modules that export `interceptors`, a `WorkflowInterceptorsFactory` (Temporal's name): bundled
   * with the workflows and called, in this order, when each run starts. The worker passes its
   * `interceptors.workflowModules` here.
   */
  workflowInterceptorModules?: string[];
  /**
   * A module that exports `payloadConverter` (Temporal's `payloadConverterPath`): the converter
   * the workflow sandbox uses for arguments, results, memo and details, instead of the default.
   * Give the same converter to the client and worker (`dataConverter.payloadConverterPath`).
   */
  payloadConverterPath?: string;
  /**
   * A module that exports `failureConverter` (Temporal's `failureConverterPath`): the converter
   * the workflow code's errors and failures go through in the sandbox. Give the same converter to
   * the client and worker (`dataConverter.failureConverterPath`).
   */
  failureConverterPath?: string;
  /**
   * Modules left out of the bundle, as Temporal's `ignoreModules`: each import of one gets an empty
   * module. For code that imports something it never uses in a workflow (a Node built-in, say).
   */
  ignoreModules?: string[];
}

/** The bundle: one classic script that sets `globalThis.__keelRuntime` when run. */
export interface WorkflowBundle {
  code: string;
}

/** A bundle with its source map apart, as Temporal's (deprecated) `WorkflowBundleWithSourceMap`. */
export interface WorkflowBundleWithSourceMap {
  code: string;
  sourceMap: string;
}

/** A bundle written to a file, e.g. at build time: `writeFile(codePath, (await bundleWorkflowCode(…)).code)`. */
export interface WorkflowBundlePath {
  codePath: string;
}

/** A bundle file with its source map in another file, as Temporal's (deprecated) `WorkflowBundlePathWithSourceMap`. */
export interface WorkflowBundlePathWithSourceMap {
  codePath: string;
  sourceMapPath: string;
}

/** What the worker's `workflowBundle` option takes, as Temporal's `WorkflowBundleOption`. */
export type WorkflowBundleOption = WorkflowBundle | WorkflowBundleWithSourceMap | WorkflowBundlePath | WorkflowBundlePathWithSourceMap;

/**
 * The bundle a `workflowBundle` option names: read from its file if given by path, with a separate
 * source map appended inline (so the one script carries it, as bundles made here do).
 */
export async function loadWorkflowBundle(option: WorkflowBundleOption): Promise<WorkflowBundle> {
  const code = 'codePath' in option ? await readFile(option.codePath, 'utf8') : option.code;
  if (typeof code !== 'string') throw new TypeError('workflowBundle: give { code } or { codePath } (the output of bundleWorkflowCode)');
  const sourceMap = 'sourceMapPath' in option ? await readFile(option.sourceMapPath, 'utf8') : 'sourceMap' in option ? option.sourceMap : undefined;
  if (sourceMap === undefined) return { code };
  return { code: `${code}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(sourceMap).toString('base64')}\n` };
}

/** Keel subpaths that workflow code may import; each is pinned to this SDK's own module. */
const SANDBOX_SUBPATHS = ['workflow', 'common'] as const;
/** Keel subpaths that need Node or the network and so cannot run in the sandbox. */
const WORKER_ONLY_SUBPATHS = ['worker', 'client', 'activity', 'testing'] as const;

/**
 * Bundles workflow code, with the Keel workflow runtime, into one script for
 * {@link WorkflowSandbox}.
 *
 * Why a bundle: workflow code runs in a `node:vm` context, with no `require` or `import`, so
 * everything it uses must be in one script (its user modules evaluated afresh for each run, Keel's
 * own once per context: see below). Why exactly one copy of the runtime:
 * `proxyActivities`, `sleep` and the rest find the running workflow through module state, so
 * the user's `keel/workflow` must be the very module the entry's `createRuntime` comes from.
 *
 * @throws {WorkflowBundleError} when the code imports a Node built-in or a worker-only Keel
 *   module, an import cannot be resolved, or the code does not compile; the message names the
 *   import and the file that imports it.
 *
 * @example
 * const bundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)) });
 * const sandbox = new WorkflowSandbox(bundle.code);
 */
export async function bundleWorkflowCode(options: BundleOptions): Promise<WorkflowBundle> {
  const workflowsPath = path.resolve(options.workflowsPath);
  const runtimeModule = sdkModule('workflow/runtime-entry');
  const pinned = Object.fromEntries(SANDBOX_SUBPATHS.map((sub) => [`keel/${sub}`, sdkModule(`${sub}/index`)]));
  // The runtime module first: importing it makes the sandbox's globals deterministic, and ES
  // modules evaluate in import order, so module-level workflow code already sees them.
  const interceptorModules = (options.workflowInterceptorModules ?? []).map((m) => path.resolve(m));
  const converterPath = options.payloadConverterPath ? path.resolve(options.payloadConverterPath) : undefined;
  const failurePath = options.failureConverterPath ? path.resolve(options.failureConverterPath) : undefined;
  const entry = [
    `import { createRuntime } from ${JSON.stringify(runtimeModule)};`,
    `import * as workflows from ${JSON.stringify(workflowsPath)};`,
    ...interceptorModules.map((m, i) => `import * as interceptors${i} from ${JSON.stringify(m)};`),
    ...(converterPath
      ? [
          `import * as converter from ${JSON.stringify(converterPath)};`,
          `if (!converter.payloadConverter) throw new TypeError(${JSON.stringify(`payloadConverterPath ${converterPath} does not export payloadConverter`)});`,
        ]
      : []),
    ...(failurePath
      ? [
          `import * as failures from ${JSON.stringify(failurePath)};`,
          `if (!failures.failureConverter) throw new TypeError(${JSON.stringify(`failureConverterPath ${failurePath} does not export failureConverter`)});`,
        ]
      : []),
    `globalThis[${JSON.stringify(RUNTIME_GLOBAL)}] = createRuntime(workflows, {`,
    `  interceptors: [${interceptorModules.map((_, i) => `interceptors${i}.interceptors`).join(', ')}].filter((f) => typeof f === 'function'),`,
    ...(converterPath ? ['  payloadConverter: converter.payloadConverter,'] : []),
    ...(failurePath ? ['  failureConverter: failures.failureConverter,'] : []),
    '});',
  ].join('\n');


  // Two builds. The SDK's sandbox-safe modules (the runtime, keel/workflow, keel/common) hold no
  // state of a run's own (a run's state hangs off its Activator), so the sandbox evaluates them
  // once per vm context and every run shares them; the user's modules, evaluated for each run,
  // reach them through stubs. Evaluating the SDK per run was about half of a run's sandbox CPU.
  const common = {
    bundle: true,
    write: false,
    outfile: 'workflow-bundle.js',
    format: 'iife',
    // 'browser' prefers packages' browser builds, which do not reach for Node built-ins.
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    // Libraries commonly branch on this; the sandbox has no `process` to read it from.
    define: { 'process.env.NODE_ENV': '"production"' },
  } as const satisfies esbuild.BuildOptions;
  const sharedEntry = [
    `export * as runtime from ${JSON.stringify(runtimeModule)};`,
    ...SANDBOX_SUBPATHS.map((sub) => `export * as ${sub} from ${JSON.stringify(pinned[`keel/${sub}`])};`),
  ].join('\n');
  let result: esbuild.BuildResult<{ write: false }>;
  let shared: esbuild.BuildResult<{ write: false }>;
  try {
    [result, shared] = await Promise.all([
      esbuild.build({
        ...common,
        stdin: { contents: entry, resolveDir: path.dirname(workflowsPath), sourcefile: ENTRY_NAME, loader: 'js' },
        sourcemap: options.sourceMap === false ? false : 'inline',
        plugins: [...(options.ignoreModules?.length ? [ignoredModulesPlugin(options.ignoreModules)] : []), sharedSdkPlugin(runtimeModule, pinned), sandboxImportsPlugin(pinned)],
      }),
      esbuild.build({
        ...common,
        stdin: { contents: sharedEntry, resolveDir: path.dirname(runtimeModule), sourcefile: 'keel-sdk-shared.js', loader: 'js' },
        globalName: SHARED_RESULT,
        plugins: [sandboxImportsPlugin(pinned)],
      }),
    ]);
  } catch (err) {
    throw toBundleError(err, workflowsPath);
  }
  const output = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const sdk = shared.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!output || !sdk) throw new WorkflowBundleError('esbuild produced no script for the workflow bundle');
  // The SDK goes after the user's part (a function declaration, hoisted), so the user's lines keep
  // their numbers; the inline source map, if any, stays the script's last line.
  const mapAt = output.text.lastIndexOf('//# sourceMappingURL=');
  const [own, map] = mapAt >= 0 ? [output.text.slice(0, mapAt), output.text.slice(mapAt)] : [output.text, ''];
  return { code: `${own}\nfunction ${SHARED_INIT}() {\n${sdk.text}return ${SHARED_RESULT};\n}\n${map}` };
}

/**
 * The global on which a vm context keeps the SDK's shared modules once evaluated (not enumerable,
 * so it is part of the global every run starts from), and the names inside the bundle of the
 * function that evaluates them and of its result.
 */
const SHARED_GLOBAL = '__keelSdkModules';
const SHARED_INIT = '__keelSdkEvaluate';
const SHARED_RESULT = '__keelSdk';

/**
 * The names `keel/workflow` and `keel/common` export: the stubs export each by name, so that a
 * user module's imports bind to the shared modules' values directly. (A CommonJS stub made esbuild
 * copy all of a module's exports onto a namespace object of getters, for each run: more than half
 * of a run's evaluation.) The modules are this very SDK's, the ones the bundle pins.
 */
const SHARED_EXPORTS: Record<(typeof SANDBOX_SUBPATHS)[number], readonly string[]> = {
  workflow: Object.keys(workflowExports),
  common: Object.keys(commonExports),
};

/**
 * Resolves the entry's runtime module, `keel/workflow` and `keel/common` to stubs that take the
 * shared SDK's modules from the context's global (evaluating them first if this context has not).
 * The runtime's stub resets the module-level random seed for the run; the others re-export each
 * export of their module by name.
 */
function sharedSdkPlugin(runtimeModule: string, pinned: Record<string, string>): esbuild.Plugin {
  const sdk = `(globalThis[${JSON.stringify(SHARED_GLOBAL)}] ?? (Object.defineProperty(globalThis, ${JSON.stringify(SHARED_GLOBAL)}, { value: ${SHARED_INIT}(), configurable: true }), globalThis[${JSON.stringify(SHARED_GLOBAL)}]))`;
  const subpathOf = new Map(Object.entries(pinned).map(([spec, file]) => [spec, spec.slice('keel/'.length) as (typeof SANDBOX_SUBPATHS)[number]]));
  const reExports = (sub: (typeof SANDBOX_SUBPATHS)[number]) => {
    const names = SHARED_EXPORTS[sub];
    return [
      `const m = ${sdk}.${sub};`,
      ...names.map((n, i) => `const e${i} = m[${JSON.stringify(n)}];`),
      `export { ${names.map((n, i) => `e${i} as ${JSON.stringify(n)}`).join(', ')} };`,
    ].join('\n');
  };
  return {
    name: 'keel-shared-sdk',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.path === runtimeModule) return { path: 'runtime', namespace: 'keel-shared-sdk' };
        const sub = subpathOf.get(args.path);
        return sub ? { path: sub, namespace: 'keel-shared-sdk' } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'keel-shared-sdk' }, (args) =>
        args.path === 'runtime'
          ? { contents: `const sdk = ${sdk};\nsdk.runtime.installDeterministicGlobals(globalThis);\nexport const createRuntime = sdk.runtime.createRuntime;`, loader: 'js' }
          : { contents: reExports(args.path as (typeof SANDBOX_SUBPATHS)[number]), loader: 'js' },
      );
    },
  };
}
/** The name esbuild gives the generated entry in messages and source maps. */
const ENTRY_NAME = 'keel-workflow-entry.js';

/**
 * The absolute path of one of this SDK's own modules (`rel` without extension, from `sdk/`).
 * Running from TypeScript sources (vitest, tsx) the sibling is a `.ts` file; running from the
 * build (`dist/sdk/...`) it is a `.js` file. Prefer our own extension, then the other.
 */
function sdkModule(rel: string): string {
  const here = fileURLToPath(import.meta.url);
  const exts = path.extname(here) === '.ts' ? ['.ts', '.js'] : ['.js', '.ts'];
  for (const ext of exts) {
    const candidate = path.resolve(path.dirname(here), '..', `${rel}${ext}`);
    if (existsSync(candidate)) return candidate;
  }
  throw new WorkflowBundleError(`The Keel SDK module sdk/${rel} is missing next to ${here}; the SDK installation is incomplete`);
}

const BUILTINS = new Set(builtinModules);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** Matches `node:anything`, every bare built-in name (`fs`, `fs/promises`, …) and every `keel/...` subpath. */
const INTERCEPT_FILTER = new RegExp(`^(?:node:.*|keel/.*|(?:${[...BUILTINS].map(escapeRegExp).join('|')}))$`);

/**
 * Resolves `keel/workflow` and `keel/common` to this SDK's modules, and refuses Node built-ins
 * and worker-only Keel modules with a message naming the import and the importer. Type-only
 * imports never get here: esbuild erases them before resolving.
 */
function sandboxImportsPlugin(pinned: Record<string, string>): esbuild.Plugin {
  return {
    name: 'keel-workflow-sandbox',
    setup(build) {
      build.onResolve({ filter: INTERCEPT_FILTER }, (args) => {
        const target = pinned[args.path];
        if (target) return { path: target };
        const importer = displayPath(args.importer);
        if (args.path.startsWith('keel/')) {
          const sub = args.path.slice('keel/'.length);
          if ((WORKER_ONLY_SUBPATHS as readonly string[]).includes(sub)) {
            return {
              errors: [
                {
                  text: `${importer} imports '${args.path}': workflow code runs in a deterministic sandbox and can only import keel/workflow and keel/common (use \`import type\` for types)`,
                },
              ],
            };
          }
          return undefined; // `keel/protocol` and anything else resolve normally.
        }
        if (args.path.startsWith('node:') || BUILTINS.has(args.path)) {
          return {
            errors: [
              {
                text: `${importer} imports '${args.path}': workflow code runs in a deterministic sandbox and cannot use Node built-ins; move this into an activity`,
              },
            ],
          };
        }
        return undefined;
      });
    },
  };
}

/** Gives each ignored module an empty module, before anything else resolves it. */
function ignoredModulesPlugin(modules: readonly string[]): esbuild.Plugin {
  const filter = new RegExp(`^(?:${modules.map(escapeRegExp).join('|')})$`);
  return {
    name: 'keel-ignore-modules',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'keel-ignored' }));
      build.onLoad({ filter: /.*/, namespace: 'keel-ignored' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
    },
  };
}

/** Whether a file esbuild names is the generated entry (it reports it under the entry's resolve dir). */
function isEntry(file: string): boolean {
  return file === '<stdin>' || path.basename(file) === ENTRY_NAME;
}

/** A path for messages: relative to the current directory when inside it, else absolute. */
function displayPath(file: string): string {
  if (!file || isEntry(file)) return ENTRY_NAME;
  const abs = path.resolve(file);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

function isBuildFailure(err: unknown): err is esbuild.BuildFailure {
  return typeof err === 'object' && err !== null && Array.isArray((err as { errors?: unknown }).errors);
}

/** Turns esbuild's failure into a {@link WorkflowBundleError} whose lines name import and importer. */
function toBundleError(err: unknown, workflowsPath: string): WorkflowBundleError {
  if (!isBuildFailure(err)) {
    return new WorkflowBundleError(`Bundling ${displayPath(workflowsPath)} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const lines = err.errors.map((m) => describeMessage(m, workflowsPath));
  const message = lines.length === 1 ? lines[0]! : `Bundling ${displayPath(workflowsPath)} failed with ${lines.length} errors:\n${lines.map((l) => `  - ${l}`).join('\n')}`;
  return new WorkflowBundleError(message, lines);
}

function describeMessage(m: esbuild.Message, workflowsPath: string): string {
  const file = m.location?.file;
  // Every line below names the file already; add where in it.
  const where = m.location ? ` (line ${m.location.line}, column ${m.location.column + 1})` : '';
  // Our plugin's messages already name the importer.
  if (m.pluginName === 'keel-workflow-sandbox') return `${m.text}${where}`;
  const unresolved = /^Could not resolve "(.*)"$/.exec(m.text);
  if (unresolved) {
    if (!file || isEntry(file)) {
      return `The workflows module '${displayPath(workflowsPath)}' cannot be found`;
    }
    return `${displayPath(file)} imports '${unresolved[1]}', which cannot be resolved${where}`;
  }
  return `${file ? `${displayPath(file)}: ` : ''}${m.text}${where}`;
}
