/**
 * Stands in for `@aws-sdk/credential-provider-node` in every function bundle (`BUNDLE_ALIASES`,
 * stacks/manifest.ts). A function's credentials are its execution role's, which Lambda puts in
 * the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), as the local
 * stack does with each function's own key: the first provider of the SDK's default chain, and the
 * only one a function ever uses. The rest of the chain (SSO, INI files, processes, web identity,
 * login, instance metadata, with the STS and SSO clients they call) is about 100 KB that every
 * cold start would parse. Scripts run on a developer's machine are not bundled and keep the whole chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { defaultProvider as chain } from '@aws-sdk/credential-provider-node';

export const defaultProvider: typeof chain = (init = {}) => fromEnv(init);
