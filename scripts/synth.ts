/**
 * Offline synthesis of the SST app: builds every stack for a stage and writes each stack's
 * CloudFormation template to `synth/<stage>/<StackName>.template.json`. Needs no AWS credentials
 * and talks to no AWS API, so it runs anywhere (CI, reviews, `npm run synth -- prod`).
 *
 * Usage: `npm run synth -- [stage] [--no-bundle]` (stage from argv, else `$SST_STAGE`, else `dev`).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Aws } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { App, Stack } from 'sst/constructs';
import { initProject, useProject } from 'sst/project.js';
import { addStacks } from '../sst.config.js';

export interface SynthOptions {
  readonly stage: string;
  /**
   * Bundle each function's code with esbuild, as `sst deploy` does (the handler files must exist
   * and compile). Without it, SST's inactive-stack path is used: functions get placeholder code,
   * but environment, IAM, sizing and architecture are synthesized exactly the same.
   */
  readonly bundle: boolean;
}

/** A synthesized app; call `dispose` to delete its scratch directories. */
export interface SynthesizedApp {
  readonly app: App;
  /** The app's stacks, in the order they were added. */
  readonly stacks: readonly Stack[];
  readonly assembly: CloudAssembly;
  dispose(): Promise<void>;
}

/**
 * Synthesizes the whole app for `options.stage` the way `sst deploy` would, minus everything that
 * needs AWS: SST's bootstrap lookup is skipped (as under `sst`'s own tests, `NODE_ENV=test`), the
 * account stays the `AWS::AccountId` pseudo parameter, and SST's scratch files go to a temporary
 * directory, so concurrent syntheses (parallel test files, `sst dev`) never share one.
 *
 * One synthesis at a time per process: SST keeps the current project and app in module globals.
 */
export async function synthesizeApp(options: SynthOptions): Promise<SynthesizedApp> {
  process.env.NODE_ENV = 'test';
  const scratch = await mkdtemp(path.join(tmpdir(), 'wallet-desk-synth-'));
  const dispose = () => rm(scratch, { recursive: true, force: true });
  try {
    return { ...(await synthesizeIn(scratch, options)), dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

async function synthesizeIn(scratch: string, options: SynthOptions): Promise<Omit<SynthesizedApp, 'dispose'>> {
  await initProjectRetryingOnce(options.stage);
  const project = useProject();
  project.paths.out = path.join(scratch, 'sst');
  project.paths.artifacts = path.join(scratch, 'sst', 'artifacts');
  await mkdir(project.paths.artifacts, { recursive: true });

  const { name, region, stage } = project.config;
  const app = new App(
    {
      mode: 'deploy',
      name,
      stage,
      region,
      account: Aws.ACCOUNT_ID,
      ...(options.bundle ? {} : { isActiveStack: () => false }),
    },
    { outdir: path.join(scratch, 'cdk.out') },
  );
  addStacks(app);
  await app.finish();
  const assembly = app.synth();
  const stacks = app.node.children.filter((child): child is Stack => child instanceof Stack);
  return { app, stacks, assembly };
}

/**
 * `initProject` bundles sst.config.ts to `.sst.config.<millisecond>.mjs` in the working directory
 * and deletes it once imported, so two processes starting in the same millisecond (parallel test
 * files) can collide; a second attempt gets a fresh name. Genuine config errors fail twice.
 */
async function initProjectRetryingOnce(stage: string): Promise<void> {
  try {
    await initProject({ stage });
  } catch {
    await initProject({ stage });
  }
}

/** Writes each stack's template as `<dir>/<StackName>.template.json`; returns the files written. */
export async function writeTemplates(synthesized: SynthesizedApp, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const stack of synthesized.stacks) {
    const artifact = synthesized.assembly.getStackArtifact(stack.artifactId);
    const file = path.join(dir, `${stack.stackName}.template.json`);
    await writeFile(file, `${JSON.stringify(artifact.template, null, 2)}\n`);
    written.push(file);
  }
  return written;
}

/** `[stage] [--no-bundle]` → options; the stage defaults to `$SST_STAGE`, then `dev`. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SynthOptions {
  const positional = argv.filter((arg) => !arg.startsWith('--'));
  const unknown = argv.filter((arg) => arg.startsWith('--') && arg !== '--no-bundle');
  if (unknown.length > 0 || positional.length > 1) {
    throw new Error(`Usage: npm run synth -- [stage] [--no-bundle] (got ${argv.join(' ')})`);
  }
  return { stage: positional[0] ?? env.SST_STAGE ?? 'dev', bundle: !argv.includes('--no-bundle') };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const synthesized = await synthesizeApp(options);
  try {
    const root = useProject().paths.root;
    const files = await writeTemplates(synthesized, path.join(root, 'synth', options.stage));
    for (const file of files) console.log(`wrote ${path.relative(root, file)}`);
  } finally {
    await synthesized.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
