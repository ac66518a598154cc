/** Users: the user directory port and its DynamoDB store: the folder's public face. */
export * from './directory.js';
export * from './dynamodb-directory.js';
