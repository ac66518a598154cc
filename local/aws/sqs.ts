/**
 * Local SQS: fauxqs on a loopback port, with every queue of the stage and its DLQ created
 * exactly as the settings declare them (visibility, retention, FIFO, redrive).
 *
 * fauxqs keeps its state in memory: queued messages do not survive a restart (DynamoDB data does).
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type BuildAppOptions, buildApp } from 'fauxqs';
import { QUEUE_NAMES, type QueueName, type StageSettings } from '../../core/desk/settings.js';
import type { ConsumerSettings } from '../../core/platform/settings.js';
import { queueResourceNames } from '../../stacks/manifest.js';
import { LOOPBACK, loopbackUrl } from '../ports.js';
import { LOCAL_REGION, localClientConfig } from './common.js';

/** A queue and its dead-letter queue, as created. */
export interface ConsumerQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly dlqName: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

/**
 * The attributes a queue is declared with, straight from its consumer settings
 * (the same values the stack puts in CloudFormation).
 */
export function queueAttributes(settings: ConsumerSettings, dlqArn: string): Record<string, string> {
  return {
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(settings.retentionSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: settings.maxReceiveCount }),
    ...(settings.fifo ? { FifoQueue: 'true' } : {}),
  };
}

/** The attributes of a queue's DLQ (FIFO queues need a FIFO DLQ). */
export function dlqAttributes(settings: ConsumerSettings): Record<string, string> {
  return {
    MessageRetentionPeriod: String(settings.dlqRetentionSeconds),
    ...(settings.fifo ? { FifoQueue: 'true' } : {}),
  };
}

/**
 * Creates the DLQ, then the queue redriving to it after `maxReceiveCount` receives.
 * Idempotent while the attributes are unchanged (SQS semantics).
 */
export async function createConsumerQueue(
  client: SQSClient,
  names: { readonly queue: string; readonly dlq: string },
  settings: ConsumerSettings,
): Promise<ConsumerQueue> {
  const dlqUrl = await createQueue(client, names.dlq, dlqAttributes(settings));
  const dlqArn = await queueArn(client, dlqUrl);
  const url = await createQueue(client, names.queue, queueAttributes(settings, dlqArn));
  return { name: names.queue, url, arn: await queueArn(client, url), dlqName: names.dlq, dlqUrl, dlqArn };
}

async function createQueue(client: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  return QueueUrl;
}

async function queueArn(client: SQSClient, url: string): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`No QueueArn for ${url}`);
  return arn;
}

/** A running fauxqs server. */
export interface LocalSqsServer {
  /** `http://127.0.0.1:<port>`; queue URLs share this origin, as real queue URLs share the SQS endpoint's. */
  readonly endpoint: string;
  /** Stops the server, ending pending long polls. Idempotent. */
  stop(): Promise<void>;
}

type FauxqsStores = NonNullable<BuildAppOptions['stores']>;

/**
 * Starts fauxqs on a free loopback port.
 *
 * fauxqs names queues `http://sqs.<region>.localhost:<port>/...` by default, a host the SDK then
 * prefers over `AWS_ENDPOINT_URL_SQS` and that does not resolve on every machine. We give it
 * stores whose host is empty, so it builds queue URLs from the request's own host
 * (`http://127.0.0.1:<port>/000000000000/<name>`), the origin of the endpoint, as on AWS.
 */
export async function startSqsServer(): Promise<LocalSqsServer> {
  const stores = await createFauxqsStores();
  stores.sqsStore.host = '';
  stores.sqsStore.region = LOCAL_REGION;
  const app = buildApp({ logger: false, defaultRegion: LOCAL_REGION, stores });
  await app.listen({ port: 0, host: LOOPBACK });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('fauxqs is not listening on a TCP port');
  let stopped = false;
  return {
    endpoint: loopbackUrl(address.port),
    async stop() {
      if (stopped) return;
      stopped = true;
      stores.sqsStore.shutdown();
      await app.close();
    },
  };
}

/** fauxqs does not export its store classes; they are loaded from its `dist/` next to `buildApp`. */
async function createFauxqsStores(): Promise<FauxqsStores> {
  const require = createRequire(import.meta.url);
  const dist = (require.resolve.paths('fauxqs') ?? [])
    .map((dir) => join(dir, 'fauxqs', 'dist'))
    .find((dir) => existsSync(join(dir, 'sqs', 'sqsStore.js')));
  if (!dist) throw new Error('Cannot locate fauxqs/dist (is fauxqs installed?)');
  const load = (path: string): Promise<Record<string, unknown>> => import(pathToFileURL(join(dist, path)).href);
  const [sqs, sns, s3] = await Promise.all([load('sqs/sqsStore.js'), load('sns/snsStore.js'), load('s3/s3Store.js')]);
  const construct = <T>(module: Record<string, unknown>, name: string): T => {
    const Ctor = module[name];
    if (typeof Ctor !== 'function') throw new Error(`fauxqs/dist has no ${name} export`);
    return new (Ctor as new () => T)();
  };
  return {
    sqsStore: construct<FauxqsStores['sqsStore']>(sqs, 'SqsStore'),
    snsStore: construct<FauxqsStores['snsStore']>(sns, 'SnsStore'),
    s3Store: construct<FauxqsStores['s3Store']>(s3, 'S3Store'),
  };
}

/** The stage's queues, running. */
export interface LocalSqs extends LocalSqsServer {
  readonly queues: Readonly<Record<QueueName, ConsumerQueue>>;
}

/**
 * Starts fauxqs and creates, for each queue of `settings`, its DLQ then the queue itself,
 * named by `queueResourceNames` and configured from the settings.
 */
export async function startLocalSqs(stage: string, settings: StageSettings): Promise<LocalSqs> {
  const server = await startSqsServer();
  const client = new SQSClient(localClientConfig(server.endpoint));
  try {
    const entries = await Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const queueSettings = settings.queues[name];
        const queue = await createConsumerQueue(client, queueResourceNames(stage, name, queueSettings), queueSettings);
        return [name, queue] as const;
      }),
    );
    return {
      endpoint: server.endpoint,
      stop: server.stop,
      queues: Object.fromEntries(entries) as Record<QueueName, ConsumerQueue>,
    };
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    client.destroy();
  }
}
