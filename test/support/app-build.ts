/**
 * The api and worker as plain JavaScript for the OS processes the integration tests start.
 *
 * Under ts-node every start transpiles the whole program again (about 280 files): seconds on an
 * idle machine, half a minute on a loaded one, where tests that start two or three processes ran
 * out of time. globalSetup transpiles once per run, with the same per-file transpiler and compiler
 * options ts-node's transpile-only mode uses; each start then only loads JavaScript.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const SOURCES = ['apps', 'libs', 'migrations'];
/** globalSetup exports the build's directory to the test workers under this name. */
const BUILD_ENV = 'ISD_TEST_BUILD';

export function buildDir(runId: string): string {
  return join(tmpdir(), `isd-build-${runId}`);
}

/** Leftovers of runs whose process is gone (a killed run cannot clean up after itself). */
export function removeStaleBuilds(alive: (pid: number) => boolean): void {
  for (const name of readdirSync(tmpdir())) {
    const m = /^isd-build-(\d+)$/.exec(name);
    if (m && !alive(Number(m[1]))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Transpiles apps, libs and migrations into `out` and exports its location to the test workers. */
export function buildApps(out: string): void {
  // Loaded here only: the test workers never need the compiler.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof import('typescript');
  const configFile = ts.readConfigFile(join(root, 'tsconfig.json'), (p) => ts.sys.readFile(p));
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
  const compilerOptions = { ...options, sourceMap: false, outDir: undefined };
  rmSync(out, { recursive: true, force: true });
  for (const file of SOURCES.flatMap((d) => sourceFiles(join(root, d)))) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file });
    const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  // Packages resolve from the build as from the sources; @app/* as tsconfig.json maps them.
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir');
  writeFileSync(
    join(out, 'register-paths.js'),
    `require(${JSON.stringify(join(root, 'node_modules', 'tsconfig-paths'))}).register(${JSON.stringify({ baseUrl: out, paths: options.paths ?? {} })});\n`,
  );
  process.env[BUILD_ENV] = out;
}

/**
 * For a benchmark: transpiles the apps once for this process (as the image runs them) and removes
 * the build when the process exits.
 */
export function buildAppsForThisProcess(): void {
  const out = buildDir(`bench-${process.pid}`);
  buildApps(out);
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
}

/**
 * Node arguments that run `apps/<app>/src/main.ts`: from the run's build when globalSetup made one,
 * else through ts-node (a test file run without the integration project's globalSetup).
 */
export function appMainArgs(app: 'api' | 'worker'): string[] {
  const out = process.env[BUILD_ENV];
  if (out && existsSync(join(out, 'register-paths.js'))) {
    return ['-r', join(out, 'register-paths.js'), join(out, 'apps', app, 'src', 'main.js')];
  }
  return ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(root, 'apps', app, 'src', 'main.ts')];
}
