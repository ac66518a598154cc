import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { workerConfig } from '../core/config.js';
import { createConsumer } from '../core/jobs/consumer.js';
import { environment, functionLogger } from './lib/runtime.js';

const config = workerConfig(await environment());

/**
 * Consumer of the ai queue. It registers no job types yet: a job sent here before its type
 * exists is reported failed and ends in the DLQ, where it can be inspected and redriven.
 */
const consume = createConsumer([], functionLogger('ai-worker', config.logLevel));

export const handler = middy<SQSEvent, SQSBatchResponse>().handler((event) => consume(event.Records));
