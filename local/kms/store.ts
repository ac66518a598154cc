/**
 * Keys and aliases of the local KMS, and their persistence.
 *
 * With a data directory, everything lives in `<dataDir>/kms-keys.json` (mode 0600, replaced
 * atomically by writing a temporary file and renaming it), so a restart keeps every key: a
 * ciphertext made before it still decrypts and an Ed25519 key keeps its public key. Without one,
 * keys live in memory only. The file holds raw key material: local use only, never commit it.
 */
import { createPrivateKey, generateKeyPair, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as z from 'zod/mini';
import { LOCAL_ACCOUNT_ID } from '../aws/common.js';
import { KmsError, notFound } from './errors.js';

/** The key specs the emulator implements. */
export const EMULATED_KEY_SPECS = ['SYMMETRIC_DEFAULT', 'ECC_NIST_EDWARDS25519', 'RSA_2048'] as const;
export type EmulatedKeySpec = (typeof EMULATED_KEY_SPECS)[number];

/** The one key usage each emulated spec is implemented for. */
export const USAGE_OF_SPEC = {
  SYMMETRIC_DEFAULT: 'ENCRYPT_DECRYPT',
  ECC_NIST_EDWARDS25519: 'SIGN_VERIFY',
  RSA_2048: 'ENCRYPT_DECRYPT',
} as const satisfies Record<EmulatedKeySpec, 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY'>;

/** File name of the persisted keys inside the data directory. */
export const KEYS_FILE = 'kms-keys.json';

const KeyRecordSchema = z.object({
  id: z.string().check(z.minLength(1)),
  spec: z.enum(EMULATED_KEY_SPECS),
  description: z.string(),
  /** Epoch seconds. */
  creationDate: z.number(),
  /** Base64: the 32-byte AES-256-GCM secret of a symmetric key, the PKCS#8 DER private key of a pair. */
  material: z.string().check(z.minLength(1)),
});

const AliasRecordSchema = z.object({
  name: z.string().check(z.minLength(1)),
  keyId: z.string().check(z.minLength(1)),
  creationDate: z.number(),
});

const KeysFileSchema = z.object({
  version: z.literal(1),
  keys: z.array(KeyRecordSchema),
  aliases: z.array(AliasRecordSchema),
});

/** A KMS key as stored. */
export type KeyRecord = z.infer<typeof KeyRecordSchema>;
/** An alias as stored. */
export type AliasRecord = z.infer<typeof AliasRecordSchema>;

/** A key with its material decoded for use. */
export interface Key {
  readonly record: KeyRecord;
  readonly usage: 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY';
  /** The AES-256-GCM secret of a symmetric key. */
  readonly secret?: Buffer;
  /** The private key of an asymmetric key. */
  readonly privateKey?: KeyObject;
}

const generatePair = promisify(generateKeyPair);

async function generateMaterial(spec: EmulatedKeySpec): Promise<Buffer> {
  switch (spec) {
    case 'SYMMETRIC_DEFAULT':
      return randomBytes(32);
    case 'ECC_NIST_EDWARDS25519': {
      const { privateKey } = await generatePair('ed25519');
      return privateKey.export({ type: 'pkcs8', format: 'der' });
    }
    case 'RSA_2048': {
      const { privateKey } = await generatePair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
      return privateKey.export({ type: 'pkcs8', format: 'der' });
    }
  }
}

function decodeKey(record: KeyRecord): Key {
  const material = Buffer.from(record.material, 'base64');
  const usage = USAGE_OF_SPEC[record.spec];
  if (record.spec === 'SYMMETRIC_DEFAULT') return { record, usage, secret: material };
  return { record, usage, privateKey: createPrivateKey({ key: material, format: 'der', type: 'pkcs8' }) };
}

const nowSeconds = (): number => Date.now() / 1000;

/** Key and alias ARNs of one region of the local account. */
export class Arns {
  constructor(readonly region: string) {}

  key(id: string): string {
    return `arn:aws:kms:${this.region}:${LOCAL_ACCOUNT_ID}:key/${id}`;
  }

  alias(name: string): string {
    return `arn:aws:kms:${this.region}:${LOCAL_ACCOUNT_ID}:${name}`;
  }

  /** The resource part (`key/<id>` or `alias/<name>`) of an ARN of this region and account. */
  resource(arn: string): string | undefined {
    const prefix = `arn:aws:kms:${this.region}:${LOCAL_ACCOUNT_ID}:`;
    return arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
  }
}

/** The keys and aliases of one emulator. */
export class KeyStore {
  private readonly keys = new Map<string, Key>();
  private readonly aliasMap = new Map<string, AliasRecord>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly arns: Arns,
    private readonly file: string | undefined,
  ) {}

  /** Opens the store of `dataDir` (creating the directory), or an in-memory one without it. */
  static async open(options: { dataDir?: string; region: string }): Promise<KeyStore> {
    const arns = new Arns(options.region);
    if (options.dataDir === undefined) return new KeyStore(arns, undefined);
    await mkdir(options.dataDir, { recursive: true });
    const store = new KeyStore(arns, join(options.dataDir, KEYS_FILE));
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    const file = this.file!;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`${file} is not valid JSON`, { cause: error });
    }
    const parsed = KeysFileSchema.safeParse(json);
    // Refuse to start rather than silently drop keys that ciphertexts depend on.
    if (!parsed.success) throw new Error(`${file} is not a local KMS keys file`);
    for (const record of parsed.data.keys) this.keys.set(record.id, decodeKey(record));
    for (const alias of parsed.data.aliases) this.aliasMap.set(alias.name, alias);
  }

  /** Writes the whole state; writes are serialized, each one a fresh snapshot. */
  private persist(): Promise<void> {
    const file = this.file;
    if (file === undefined) return Promise.resolve();
    const next = this.writing.then(async () => {
      const snapshot = {
        version: 1 as const,
        keys: [...this.keys.values()].map((key) => key.record),
        aliases: [...this.aliasMap.values()],
      };
      const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
      try {
        await writeFile(tmp, `${JSON.stringify(snapshot, null, 2)}\n`, { mode: 0o600 });
        await rename(tmp, file);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every write started so far has finished. */
  flush(): Promise<void> {
    return this.writing;
  }

  /** Creates a key with fresh material and persists it before resolving. */
  async createKey(spec: EmulatedKeySpec, description: string): Promise<Key> {
    const material = await generateMaterial(spec);
    const record: KeyRecord = {
      id: randomUUID(),
      spec,
      description,
      creationDate: nowSeconds(),
      material: material.toString('base64'),
    };
    const key = decodeKey(record);
    this.keys.set(record.id, key);
    try {
      await this.persist();
    } catch (error) {
      this.keys.delete(record.id);
      throw error;
    }
    return key;
  }

  /** Points a new alias at a key; `AlreadyExistsException` when the name is taken. */
  async createAlias(name: string, keyId: string): Promise<AliasRecord> {
    if (this.aliasMap.has(name)) {
      throw new KmsError('AlreadyExistsException', `An alias with the name ${this.arns.alias(name)} already exists`);
    }
    const alias: AliasRecord = { name, keyId, creationDate: nowSeconds() };
    this.aliasMap.set(name, alias);
    try {
      await this.persist();
    } catch (error) {
      this.aliasMap.delete(name);
      throw error;
    }
    return alias;
  }

  alias(name: string): AliasRecord | undefined {
    return this.aliasMap.get(name);
  }

  /** Every alias, sorted by name. */
  aliases(): AliasRecord[] {
    return [...this.aliasMap.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The key of this id, if any. */
  byId(id: string): Key | undefined {
    return this.keys.get(id);
  }

  /**
   * The key a `KeyId` parameter names: key id, key ARN and, when `aliases` is true (most
   * operations), alias name or alias ARN. `NotFoundException` otherwise, as KMS answers.
   */
  resolve(keyId: string, options: { aliases: boolean } = { aliases: true }): Key {
    const isArn = keyId.startsWith('arn:');
    // An ARN of another region or account names nothing here.
    const resource = isArn ? (this.arns.resource(keyId) ?? '') : keyId;
    let id: string | undefined;
    if (resource.startsWith('alias/')) id = options.aliases ? this.aliasMap.get(resource)?.keyId : undefined;
    else if (isArn) id = resource.startsWith('key/') ? resource.slice('key/'.length) : undefined;
    else id = keyId;
    const key = id === undefined ? undefined : this.keys.get(id);
    if (key === undefined) throw notFound(`Key '${keyId}' does not exist`);
    return key;
  }
}
