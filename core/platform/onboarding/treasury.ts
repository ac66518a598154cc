import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  type KeyMetadata,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { KeyServiceError, KmsSigningKey, type SigningKey, translateKmsError } from '../keys/index.js';
import type { TenantId, TenantTreasury } from '../tenants/index.js';

/** Where a tenant's own Ed25519 treasury key comes from. */
export interface TreasuryKeys {
  /**
   * The tenant's treasury key, created on first call: the same key (and address) on every later
   * call, so a retried onboarding never makes a second one.
   */
  ensure(botId: TenantId): Promise<TenantTreasury>;
}

export interface KmsTreasuryKeysOptions {
  readonly client: KMSClient;
  /** The alias of tenant `<botId>`'s key is `<aliasPrefix><botId>`, e.g. `alias/wallet-desk-prod-tenant-`. */
  readonly aliasPrefix: string;
  /** The key's address (for the desk: its Ed25519 public key in base58). */
  readonly addressOf: (key: SigningKey) => Promise<string>;
}

/**
 * Treasury keys in KMS: `CreateKey` (`ECC_NIST_EDWARDS25519`, `SIGN_VERIFY`, described and tagged
 * with the tenant) under the alias `<aliasPrefix><botId>`, found again by that alias, then
 * `GetPublicKey` for the address. The private half never leaves KMS.
 */
export class KmsTreasuryKeys implements TreasuryKeys {
  constructor(private readonly options: KmsTreasuryKeysOptions) {}

  async ensure(botId: TenantId): Promise<TenantTreasury> {
    const alias = `${this.options.aliasPrefix}${botId}`;
    const keyId = (await this.find(alias)) ?? (await this.create(alias, botId));
    const address = await this.options.addressOf(new KmsSigningKey({ client: this.options.client, keyId }));
    return { keyId, address };
  }

  private async find(alias: string): Promise<string | undefined> {
    let metadata: KeyMetadata | undefined;
    try {
      ({ KeyMetadata: metadata } = await this.options.client.send(new DescribeKeyCommand({ KeyId: alias })));
    } catch (error) {
      const translated = translateKmsError('DescribeKey', error);
      if (translated instanceof KeyServiceError && translated.code === 'keys.not_found') return undefined;
      throw translated;
    }
    if (!metadata?.KeyId) throw new KeyServiceError('keys.invalid', 'KMS DescribeKey returned no key id');
    if (metadata.KeySpec !== 'ECC_NIST_EDWARDS25519') {
      throw new KeyServiceError('keys.invalid', `${alias} names a key that is not Ed25519`);
    }
    return metadata.KeyId;
  }

  private async create(alias: string, botId: TenantId): Promise<string> {
    let keyId: string | undefined;
    try {
      const { KeyMetadata } = await this.options.client.send(
        new CreateKeyCommand({
          KeySpec: 'ECC_NIST_EDWARDS25519',
          KeyUsage: 'SIGN_VERIFY',
          Description: `Treasury of tenant ${botId}`,
          Tags: [{ TagKey: 'tenant', TagValue: botId }],
        }),
      );
      keyId = KeyMetadata?.KeyId;
    } catch (error) {
      throw translateKmsError('CreateKey', error);
    }
    if (!keyId) throw new KeyServiceError('keys.invalid', 'KMS CreateKey returned no key id');
    try {
      await this.options.client.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
      return keyId;
    } catch (error) {
      // Another onboarding of the same bot named its key first: use that one (ours stays unnamed and unused).
      if (error instanceof Error && error.name === 'AlreadyExistsException') {
        const winner = await this.find(alias);
        if (winner) return winner;
      }
      throw translateKmsError('CreateAlias', error);
    }
  }
}
