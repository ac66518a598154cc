/** The DynamoDB table every store is built on: the folder's public face. */
export * from './dynamodb.js';
