import { KMSClient } from '@aws-sdk/client-kms';
import { instrumented } from './runtime.js';

/**
 * The KMS client of the functions that use keys (vault, signer, notify worker for sealed bot tokens),
 * never imported by the webhook. It takes its endpoint from `AWS_ENDPOINT_URL_KMS` like the other clients.
 */
export const kmsClient = () => instrumented(new KMSClient({ maxAttempts: 2 }));
