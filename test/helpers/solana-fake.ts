import type {
  AccountSummary,
  SignatureInfo,
  SignatureStatus,
  SolanaGateway,
  TokenBalance,
  TransactionMovements,
} from '../../core/desk/solana/gateway.js';

/** An in-memory chain behind the SolanaGateway port, for domain tests (adapters are tested on the Solana peer). */
export class FakeSolana implements SolanaGateway {
  readonly accounts = new Map<string, AccountSummary>();
  readonly tokens = new Map<string, TokenBalance[]>();
  readonly signatures = new Map<string, SignatureInfo[]>();
  readonly transfers = new Map<string, TransactionMovements>();
  readonly statuses = new Map<string, SignatureStatus>();
  readonly sent: Uint8Array[] = [];
  blockHeight = 100;
  calls: string[] = [];

  wallet(address: string, lamports: bigint, owner = '11111111111111111111111111111111') {
    this.accounts.set(address, { address, lamports, owner, executable: false, space: 0 });
  }

  async getAccount(address: string) {
    this.calls.push('getAccount');
    return this.accounts.get(address) ?? null;
  }
  async getAccounts(addresses: readonly string[]) {
    this.calls.push('getAccounts');
    return addresses.map((a) => this.accounts.get(a) ?? null);
  }
  async getTokenBalances(owner: string) {
    this.calls.push('getTokenBalances');
    return this.tokens.get(owner) ?? [];
  }
  async getSignatures(address: string, page: { before?: string; until?: string; limit: number }) {
    this.calls.push('getSignatures');
    const all = this.signatures.get(address) ?? [];
    let start = page.before ? all.findIndex((s) => s.signature === page.before) + 1 : 0;
    if (start < 0) start = all.length;
    const list: SignatureInfo[] = [];
    for (const info of all.slice(start)) {
      if (info.signature === page.until || list.length >= page.limit) break;
      list.push(info);
    }
    return list;
  }
  async getTransfer(signature: string) {
    this.calls.push('getTransfer');
    return this.transfers.get(signature) ?? null;
  }
  async getLatestBlockhash() {
    return { blockhash: 'hash', lastValidBlockHeight: this.blockHeight + 150 };
  }
  async getBlockHeight() {
    return this.blockHeight;
  }
  async sendRawTransaction(bytes: Uint8Array) {
    this.sent.push(bytes);
    return 'sig';
  }
  async getSignatureStatus(signature: string) {
    return this.statuses.get(signature) ?? null;
  }
}
