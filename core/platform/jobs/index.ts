/** Jobs: envelopes, queues on SQS, the batch consumer, dead letters, progress: the folder's public face. */
export * from './consumer.js';
export * from './dead-letters.js';
export * from './depths.js';
export * from './dynamodb-progress.js';
export * from './emit.js';
export * from './envelope.js';
export * from './progress.js';
export * from './short-id.js';
export * from './sqs.js';
export * from './sqs-redrive.js';
export * from './top-up.js';
