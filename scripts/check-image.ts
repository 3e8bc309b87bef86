// `npm run image:check`: what can be verified about the Dockerfile without building it (no docker here).
//   1. Node.js: the build stage's and the runtime's major is the `node` devDependency's, which the bundle is
//      built and tested with;
//   2. the runtime stage runs as a numeric non-root USER equal to the chart's podSecurityContext
//      runAsUser/runAsGroup, its ENTRYPOINT is exec form (no shell) and runs the CLI, and the chart's
//      Deployment sets no command and passes `operator` first;
//   3. the application tree the runtime stage copies (scripts/stage-image.mjs, which the build stage runs)
//      starts on its own, away from the repository's node_modules: `--help`, and the operator itself with the
//      chart's NODE_OPTIONS until it serves /healthz and its embedded store opens (the one external package).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = join(import.meta.dirname, '..');
const problems: string[] = [];
const ok = (message: string): void => console.log(`ok  ${message}`);
const problem = (message: string): void => {
  problems.push(message);
  console.log(`BAD ${message}`);
};

interface Stage {
  from: string;
  instructions: Array<{ op: string; args: string }>;
}

function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  for (const line of logical) {
    const [op, ...rest] = line.split(/\s+/);
    const instruction = { op: op!.toUpperCase(), args: rest.join(' ') };
    if (instruction.op === 'FROM') stages.push({ from: instruction.args.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? ''), instructions: [] });
    else if (instruction.op === 'ARG' && stages.length === 0) {
      const [name, value = ''] = instruction.args.split('=');
      args[name!] = value;
    } else stages.at(-1)?.instructions.push(instruction);
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = dockerfile.stages.at(-1)!;
const last = (op: string): string | undefined => runtime.instructions.filter((instruction) => instruction.op === op).at(-1)?.args;

// 1. Node.js major.
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
const nodeMajor = /(\d+)/.exec(pkg.devDependencies.node ?? '')?.[1];
const build = dockerfile.stages[0]!;
if (nodeMajor !== undefined && build.from.startsWith(`node:${nodeMajor}`) && new RegExp(`nodejs${nodeMajor}\\b`).test(runtime.from)) {
  ok(`Node.js ${nodeMajor} in both stages (${build.from.split(' ')[0]}, ${runtime.from.split(' ')[0]}), as the node devDependency`);
} else problem(`Node.js major: devDependency ${pkg.devDependencies.node}, build ${build.from}, runtime ${runtime.from}`);
if (/distroless/.test(runtime.from)) ok('runtime stage is distroless (no shell, no package manager)');
else problem(`runtime stage ${runtime.from} is not distroless`);

// 2. USER and ENTRYPOINT against the chart.
const values = parse(readFileSync(join(ROOT, 'charts/ci-remediator/values.yaml'), 'utf8')) as { podSecurityContext: { runAsUser: number; runAsGroup: number; runAsNonRoot: boolean } };
const user = last('USER') ?? '';
const [uid, gid] = user.split(':').map(Number);
const psc = values.podSecurityContext;
if (/^\d+:\d+$/.test(user) && uid !== 0 && uid === psc.runAsUser && gid === psc.runAsGroup && psc.runAsNonRoot) {
  ok(`USER ${user} is numeric, not root, and the chart's runAsUser/runAsGroup (${psc.runAsUser}:${psc.runAsGroup}, runAsNonRoot)`);
} else problem(`USER '${user}' against the chart's podSecurityContext ${JSON.stringify(psc)}`);
let entrypoint: string[] = [];
try {
  entrypoint = JSON.parse(last('ENTRYPOINT') ?? '') as string[];
} catch {
  problem(`ENTRYPOINT is not exec form (a JSON array), so it would need a shell: ${last('ENTRYPOINT')}`);
}
if (entrypoint.length === 2 && /\/node$/.test(entrypoint[0]!) && entrypoint[1] === '/app/bin/ci-remediator.js') ok(`ENTRYPOINT ${JSON.stringify(entrypoint)} runs the CLI without a shell`);
else problem(`ENTRYPOINT ${JSON.stringify(entrypoint)} should be [node, /app/bin/ci-remediator.js]`);
const copy = runtime.instructions.find((instruction) => instruction.op === 'COPY' && instruction.args.includes('/out/app'));
if (copy?.args.endsWith(' /app')) ok('the runtime stage copies the staged tree to /app');
else problem('the runtime stage does not COPY /out/app to /app');
if (build.instructions.some((instruction) => instruction.op === 'RUN' && instruction.args.includes('scripts/stage-image.mjs /out/app'))) ok('the build stage stages the tree with scripts/stage-image.mjs');
else problem('the build stage does not run scripts/stage-image.mjs /out/app');

const helm = spawnSync('bash', ['scripts/tools/helm.sh', 'template', 'r', 'charts/ci-remediator', '-f', 'charts/ci-remediator/ci/minimal-values.yaml', '--show-only', 'templates/deployment.yaml'], { cwd: ROOT, encoding: 'utf8' });
if (helm.status !== 0) throw new Error(`helm template failed: ${helm.stderr}`);
const deployment = parseAllDocuments(helm.stdout)[0]!.toJSON() as { spec: { template: { spec: { containers: Array<{ command?: string[]; args: string[]; env: Array<{ name: string; value?: string }> }> } } } };
const container = deployment.spec.template.spec.containers[0]!;
if (container.command === undefined && container.args[0] === 'operator') ok('the chart keeps the ENTRYPOINT (no command) and passes `operator` first');
else problem(`the chart's container: command ${JSON.stringify(container.command)}, args[0] ${container.args[0]}`);
const nodeOptions = container.env.find((variable) => variable.name === 'NODE_OPTIONS')?.value ?? '';

// 3. The staged tree starts on its own.
const stage = mkdtempSync(join(tmpdir(), 'ci-remediator-image-'));
try {
  for (let dir = dirname(stage); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) throw new Error(`${dir}/node_modules exists: the isolated start would resolve packages from it`);
    if (dir === dirname(dir)) break;
  }
  const staged = spawnSync(process.execPath, [join(ROOT, 'scripts/stage-image.mjs'), join(stage, 'app')], { encoding: 'utf8' });
  if (staged.status !== 0) throw new Error(`stage-image failed: ${staged.stderr}`);
  const cli = join(stage, 'app', 'bin', 'ci-remediator.js');
  const help = spawnSync(process.execPath, [cli, 'operator', '--help'], { cwd: '/', encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  if (help.status === 0 && help.stdout.includes('Usage: ci-remediator operator')) ok('the staged CLI answers `operator --help`');
  else problem(`the staged CLI's operator --help: exit ${help.status} ${help.stderr.slice(0, 500)}`);
  await startOperator(cli, stage, nodeOptions);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`\nimage:check failed: ${problems.length} problem(s)`);
  process.exitCode = 1;
} else console.log('\nimage:check passed');

/**
 * The operator from the staged tree with the chart's NODE_OPTIONS and an embedded store (so the external package
 * is loaded), against the control plane when one is up (KUBECONFIG or .cluster/kubeconfig), until /healthz
 * answers and the store is open; then SIGTERM, which must end it with status 0.
 */
async function startOperator(cli: string, stage: string, nodeOptions: string): Promise<void> {
  const kubeconfig = process.env.KUBECONFIG ?? join(ROOT, '.cluster', 'kubeconfig');
  if (!existsSync(kubeconfig)) {
    problem(`no control plane (${kubeconfig}): the staged operator was not started; run \`npm run cluster:up\``);
    return;
  }
  const child = spawn(
    process.execPath,
    // A namespace nobody uses (it need not exist), so this operator reconciles nothing of anyone's.
    [cli, 'operator', '--kubeconfig', kubeconfig, '--namespace', 'ci-remediator-image-check', '--no-leader-elect', '--http-address', '127.0.0.1', '--http-port', '0', '--data-dir', join(stage, 'data')],
    { cwd: '/', env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptions }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let port = 0;
  let storeOpen = false;
  const seen = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "http server listening" and "store open" within 60 s; stderr: ${stderr.slice(-2000)}`)), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: { msg?: string; port?: number } = {};
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (entry.msg === 'http server listening') port = Number(entry.port);
      if (entry.msg === 'store open') storeOpen = true;
      if (port > 0 && storeOpen) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`the staged operator exited (${code}) early; stderr: ${stderr.slice(-2000)}`)));
  });
  try {
    await seen;
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    if (health.status === 200) ok(`the staged operator starts with NODE_OPTIONS="${nodeOptions}", serves /healthz and opens its embedded store`);
    else problem(`the staged operator's /healthz answered ${health.status}`);
    child.kill('SIGTERM');
    const code = await exited;
    if (code === 0) ok('and stops cleanly on SIGTERM (exit 0)');
    else problem(`the staged operator exited ${code} on SIGTERM`);
  } catch (error) {
    child.kill('SIGKILL');
    problem((error as Error).message);
  }
}
