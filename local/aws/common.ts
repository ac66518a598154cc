/**
 * Identity of the local "AWS account": one region, one account id and fake credentials.
 *
 * The emulators accept any signature; functions still sign every request with these, so the
 * SDK's credential chain never reaches for a developer's real credentials.
 */

/** Region of every local resource (ARNs, queue URLs, `AWS_REGION` of the functions). */
export const LOCAL_REGION = 'us-east-1';

/** The account id fauxqs puts in queue ARNs and URLs; the runner uses it in function ARNs too. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** Static credentials for the local emulators; never valid anywhere else. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'LOCALACCESSKEY', secretAccessKey: 'local-secret-key' } as const;

/** SDK client configuration for a tool of `local/` (functions get the same through env instead). */
export function localClientConfig(endpoint: string): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return { endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } };
}
