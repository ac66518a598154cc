/**
 * THE price table of `npm run cost`: every price the model uses, in one place, with its source.
 *
 * List prices for **eu-central-1** (Frankfurt), the region every stage deploys to (`DEFAULT_REGION`,
 * `stacks/app.ts`), on-demand, in USD, from the AWS pricing pages linked beside each entry,
 * transcribed when this model was written, not fetched live (DynamoDB on-demand after its November
 * 2024 price cut; Lambda on arm64, as `sst.config.ts` deploys). A test holds the table's region to
 * the stacks' default region, so the two cannot drift apart silently. Free tiers are
 * NOT applied (they would make small stages look free), nor volume tiers beyond the first (none
 * of the figures here reach them). Re-check the pages before budgeting with these numbers: change
 * a price here and every figure follows.
 */

/** Where and when the prices hold. */
export const PRICE_TABLE_INFO = {
  region: 'eu-central-1',
  currency: 'USD',
  basis: 'list prices, first volume tier, no free tier',
  transcribed:
    '2026-12, from the Europe (Frankfurt) tables of the pages below (not fetched live: re-check the pages below before budgeting)',
} as const;

/** One price: what it costs, per what, and where it was read. */
export interface Price {
  readonly usd: number;
  readonly per: string;
  readonly source: string;
}

const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const API_GATEWAY = 'https://aws.amazon.com/api-gateway/pricing/';
const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';
const KMS = 'https://aws.amazon.com/kms/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';

export const PRICES = {
  /** HTTP API, first 300 million a month; each 512 KB of a request is one request. */
  apiGatewayHttpRequest: { usd: 1.2 / 1e6, per: 'HTTP API request', source: API_GATEWAY },
  lambdaRequest: { usd: 0.2 / 1e6, per: 'Lambda request', source: LAMBDA },
  /** arm64, first 7.5 billion GB-s a month; billed per ms, init phase included (since Aug 2025). */
  lambdaGbSecondArm: { usd: 0.0000133334, per: 'GB-second (arm64)', source: LAMBDA },
  dynamoWriteRequestUnit: { usd: 0.7625 / 1e6, per: 'write request unit (on-demand)', source: DYNAMODB },
  dynamoReadRequestUnit: { usd: 0.1525 / 1e6, per: 'read request unit (on-demand)', source: DYNAMODB },
  dynamoStorageGbMonth: { usd: 0.306, per: 'GB-month stored (Standard table class)', source: DYNAMODB },
  dynamoPitrGbMonth: { usd: 0.2448, per: 'GB-month of point-in-time recovery', source: DYNAMODB },
  /** Each 64 KB chunk of a payload is one request. */
  sqsStandardRequest: { usd: 0.4 / 1e6, per: 'SQS standard request (64 KB chunk)', source: SQS },
  sqsFifoRequest: { usd: 0.5 / 1e6, per: 'SQS FIFO request (64 KB chunk)', source: SQS },
  kmsKeyMonth: { usd: 1.0, per: 'customer managed key-month', source: KMS },
  /** Each automatic rotation adds a backing key at $1/month (the first two rotations count). */
  kmsRotatedKeyMonth: { usd: 1.0, per: 'rotated key version-month', source: KMS },
  /** Symmetric keys, and RSA 2048 keys (the intake key). */
  kmsSymmetricRequest: { usd: 0.03 / 1e4, per: 'KMS request (symmetric, RSA 2048)', source: KMS },
  /** Asymmetric keys other than RSA 2048: the treasury's Ed25519 `Sign` and `GetPublicKey`. */
  kmsAsymmetricRequest: { usd: 0.15 / 1e4, per: 'KMS request (asymmetric, not RSA 2048)', source: KMS },
  logsIngestedGb: { usd: 0.63, per: 'GB of logs ingested (Standard)', source: CLOUDWATCH },
  logsStoredGbMonth: { usd: 0.0324, per: 'GB-month of logs stored (compressed)', source: CLOUDWATCH },
  alarmMetricMonth: { usd: 0.1, per: 'standard-resolution alarm metric-month', source: CLOUDWATCH },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;
