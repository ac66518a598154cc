/**
 * Prints a stage's treasury address (the base58 of its KMS Ed25519 public key) and the command that
 * stores it as the `TREASURY_ADDRESS` secret, then the intake key's public key and the command that
 * stores it as `VAULT_INTAKE_KEY` (the webhook seals users' secrets to it). Run it once after the
 * first deploy of a stage, which creates the keys; private keys never leave KMS, so this is the only
 * way to learn them.
 *
 * Usage: `npm run treasury:address -- --stage <stage> [--app <app>] [--region <region>]`
 *
 * Looks in the stage's region as `sst` does (stacks/app.ts: `--region`, else the app's region), not
 * in `AWS_REGION` or the profile's region; credentials come from the default AWS chain.
 * `AWS_ENDPOINT_URL_KMS` points it at another KMS endpoint (the local emulator). `--app` defaults to
 * the app's name, `APP_NAME`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import * as z from 'zod/mini';
import { treasuryAddress } from '../core/desk/solana/index.js';
import { AppError } from '../core/platform/errors.js';
import { KmsIntakeKey, KmsSigningKey } from '../core/platform/keys/index.js';
import { APP_NAME, DEFAULT_REGION, deployRegion } from '../stacks/app.js';
import { keyAlias } from '../stacks/manifest.js';

/** SST stage and app names: letters, digits and hyphens, starting with a letter. */
const NAME_RULE = 'letters, digits and hyphens, starting with a letter';
const name = z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9-]*$/, NAME_RULE));
const Args = z.object({ stage: name, app: name });

export interface TreasuryAddressDeps {
  /** The KMS client (default: a `KMSClient` in the stage's region, credentials from the environment). */
  readonly client?: KMSClient;
  /** Where the result goes (default: stdout). */
  readonly write?: (text: string) => void;
  /** Where the one-line error goes (default: stderr). */
  readonly writeError?: (text: string) => void;
}

const USAGE = 'usage: npm run treasury:address -- --stage <stage> [--app <app>] [--region <region>]';

/** Looks the stage's treasury key up and prints its address; resolves to the process exit code. */
export async function main(argv: readonly string[], deps: TreasuryAddressDeps = {}): Promise<number> {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  const writeError = deps.writeError ?? ((text: string) => process.stderr.write(text));

  let args: z.infer<typeof Args>;
  let region: string;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { stage: { type: 'string' }, app: { type: 'string', default: APP_NAME }, region: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.stage === undefined) throw new Error('--stage is required');
    const parsed = Args.safeParse({ stage: values.stage, app: values.app });
    if (!parsed.success) throw new Error(`--stage and --app must be ${NAME_RULE}`);
    args = parsed.data;
    region = deployRegion(values.region);
  } catch (error) {
    writeError(`treasury:address: ${oneLine(error)}\n${USAGE}\n`);
    return 1;
  }

  const alias = keyAlias(args.app, args.stage, 'treasury');
  // `sst secrets set` needs `--region` too when the stage is not in the app's region.
  const flags = `--stage ${args.stage}${region === DEFAULT_REGION ? '' : ` --region ${region}`}`;
  const client = deps.client ?? new KMSClient({ region });
  try {
    const address = await treasuryAddress(new KmsSigningKey({ client, keyId: alias }));
    write(
      [
        `Treasury address of stage ${args.stage} (${alias}, ${region}):`,
        `  ${address}`,
        'Store it as the stage secret:',
        `  npx sst secrets set TREASURY_ADDRESS ${address} ${flags}`,
        '',
      ].join('\n'),
    );
    const intakeAlias = keyAlias(args.app, args.stage, 'intake');
    const intake = Buffer.from(await new KmsIntakeKey({ client, keyId: intakeAlias }).publicKey()).toString('base64');
    write(
      [
        `Intake public key of stage ${args.stage} (${intakeAlias}), which the webhook seals secrets to:`,
        `  npx sst secrets set VAULT_INTAKE_KEY ${intake} ${flags}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    const code = error instanceof AppError ? ` [${error.code}]` : '';
    // The adapter's message names only the failed operation; the SDK's own reason ("Region is
    // missing", "connect ECONNREFUSED", "Alias ... is not found") is what an operator can act on.
    const cause = error instanceof AppError && error.cause !== undefined ? ` (${oneLine(error.cause)})` : '';
    writeError(`treasury:address: cannot read ${alias} in ${region}${code}: ${oneLine(error)}${cause}\n`);
    return 1;
  } finally {
    if (!deps.client) client.destroy();
  }
}

/** The error's message on one line (SDK messages can span several). */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return message.replace(/\s+/g, ' ').trim().slice(0, 300);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
