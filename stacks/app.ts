/**
 * The app's name and where each stage lives: read by sst.config.ts (so by `sst` itself) and by the
 * operator scripts (`treasury:address`, `dlq:redrive`), so a script always talks to the region the
 * stage was deployed to, whatever `AWS_REGION` or the AWS profile says. Plain data: no CDK or SDK
 * imports, so a script can import it without loading the stacks.
 */

/** The app's name; stacks are named `<stage>-wallet-desk-<Stack>`, key aliases `alias/wallet-desk-<stage>…`. */
export const APP_NAME = 'wallet-desk';

/** Frankfurt: a few milliseconds from the Bot API servers in Amsterdam. */
export const DEFAULT_REGION = 'eu-central-1';

/** An AWS region name such as `eu-central-1` or `us-gov-west-1`. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * The region a stage lives in, as `sst` resolves it: `--region` when given (`override`), else the
 * region sst.config.ts's `config()` returns, `DEFAULT_REGION` for every stage. SST gives the
 * config's region precedence over `AWS_REGION` and the AWS profile's region, so the scripts do too
 * (and an operator whose profile points elsewhere still reaches the stage). To move the app, change
 * `DEFAULT_REGION`: `sst` and the scripts follow. Throws on a malformed override.
 */
export function deployRegion(override?: string): string {
  if (override === undefined) return DEFAULT_REGION;
  if (!REGION.test(override)) throw new Error(`--region must be an AWS region such as ${DEFAULT_REGION}`);
  return override;
}
