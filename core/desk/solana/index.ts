/** Solana for the desk: addresses, SOL amounts, transactions, the gateway port and its web3 adapter, the treasury signer: the folder's public face. */
export * from './address.js';
export * from './amount.js';
export * from './curve.js';
export * from './dynamodb-tx-store.js';
export * from './format.js';
export * from './gateway.js';
export * from './kinds.js';
export * from './signer.js';
export * from './transaction.js';
export * from './tx-store.js';
export * from './web3.js';
