/** Sessions: the session store port and its DynamoDB store: the folder's public face. */

export * from './amend.js';
export * from './dynamodb-store.js';
export * from './store.js';
