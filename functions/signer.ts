import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { composeSigner } from './lib/compose-keys.js';
import { signerConfig } from './lib/config.js';
import { environment, functionLogger } from './lib/runtime.js';

const config = signerConfig(await environment());
const consume = composeSigner(config, functionLogger('signer', config.logLevel));

/** Consumer of the payouts queue: the only function that may sign with the treasury key. */
export const handler = middy<SQSEvent, SQSBatchResponse>().handler((event) => consume(event.Records));
