/**
 * Files the bot uploads, and how the peer hands them back as api.telegram.org does: a `file_id` to send the
 * same file again, `getFile` for its `file_path`, and `GET /file/bot<token>/<file_path>` for its bytes.
 *
 * Only photos exist so far (`sendPhoto`). Telegram re-encodes a photo into several JPEG sizes; the peer keeps
 * the uploaded PNG or JPEG as it came and reports that one size, with the dimensions read from its header.
 */
import { randomBytes } from 'node:crypto';
import type { TgFile, TgPhotoSize } from './types.js';

/** A file part of a `multipart/form-data` request, as method handlers find it among their parameters. */
export class UploadedFile {
  constructor(
    /** The part's filename (may be empty). */
    readonly filename: string,
    /** The part's content type as the client declared it (not trusted: the bytes are inspected). */
    readonly mimeType: string,
    readonly bytes: Buffer,
  ) {}

  /** What the call log records instead of the bytes. */
  summary(): { filename: string; mime_type: string; file_size: number } {
    return { filename: this.filename, mime_type: this.mimeType, file_size: this.bytes.length };
  }
}

/** Parameters with every uploaded file replaced by its {@link UploadedFile.summary}, for the call log. */
export function withFileSummaries(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => [name, value instanceof UploadedFile ? value.summary() : value]),
  );
}

/** An image format the peer recognises, with the dimensions from its header. */
export interface ImageInfo {
  mimeType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG's size from its IHDR chunk, which must come first (length 13) right after the signature. */
function pngInfo(bytes: Buffer): ImageInfo | undefined {
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return undefined;
  if (bytes.readUInt32BE(8) !== 13 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { mimeType: 'image/png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Start-of-frame markers (SOF0–SOF15 without DHT `C4`, JPG `C8` and DAC `CC`), which carry the image size. */
const isStartOfFrame = (marker: number): boolean =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

/** A JPEG's size from its first start-of-frame segment, walking the segments that precede it. */
function jpegInfo(bytes: Buffer): ImageInfo | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image, or scan data before any frame
    const length = bytes.readUInt16BE(i + 2);
    if (length < 2) return undefined;
    if (isStartOfFrame(marker)) {
      if (i + 9 > bytes.length) return undefined;
      return { mimeType: 'image/jpeg', height: bytes.readUInt16BE(i + 5), width: bytes.readUInt16BE(i + 7) };
    }
    i += 2 + length;
  }
  return undefined;
}

/** The format and size of a PNG or JPEG image, from its header; `undefined` for anything else. */
export function imageInfo(bytes: Buffer): ImageInfo | undefined {
  const info = pngInfo(bytes) ?? jpegInfo(bytes);
  return info !== undefined && info.width > 0 && info.height > 0 ? info : undefined;
}

/** One stored file. */
export interface StoredFile {
  file_id: string;
  file_unique_id: string;
  /** Where `GET /file/bot<token>/<file_path>` serves it, e.g. `photos/file_0.png`. */
  file_path: string;
  mimeType: ImageInfo['mimeType'];
  width: number;
  height: number;
  bytes: Buffer;
}

/** Telegram's photo file ids are long base64url strings starting with `AgAC`; unique ids are short. */
const newFileId = (): string => `AgAC${randomBytes(48).toString('base64url')}`;
const newUniqueId = (): string => `AQAD${randomBytes(9).toString('base64url')}`;

/** The files of one simulated Telegram, by `file_id` and by `file_path`. */
export class FileStore {
  private readonly byId = new Map<string, StoredFile>();
  private readonly byPath = new Map<string, StoredFile>();

  /** Stores an uploaded photo under fresh ids (every upload is a new file, as on Telegram). */
  addPhoto(bytes: Buffer, image: ImageInfo): StoredFile {
    const extension = image.mimeType === 'image/png' ? 'png' : 'jpg';
    const file: StoredFile = {
      file_id: newFileId(),
      file_unique_id: newUniqueId(),
      file_path: `photos/file_${this.byId.size}.${extension}`,
      mimeType: image.mimeType,
      width: image.width,
      height: image.height,
      bytes: Buffer.from(bytes),
    };
    this.byId.set(file.file_id, file);
    this.byPath.set(file.file_path, file);
    return file;
  }

  get(fileId: string): StoredFile | undefined {
    return this.byId.get(fileId);
  }

  /** Every stored file, in upload order. */
  all(): StoredFile[] {
    return [...this.byId.values()];
  }

  /** Puts back a file stored before a restart, under its ids and path. */
  restore(file: StoredFile): void {
    this.byId.set(file.file_id, file);
    this.byPath.set(file.file_path, file);
  }

  /** The file a download path names. */
  atPath(filePath: string): StoredFile | undefined {
    return this.byPath.get(filePath);
  }

  /** The `PhotoSize` of a stored photo. */
  photoSize(file: StoredFile): TgPhotoSize {
    return {
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      width: file.width,
      height: file.height,
      file_size: file.bytes.length,
    };
  }

  /** The `File` object `getFile` returns. */
  toTgFile(file: StoredFile): TgFile {
    return {
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      file_size: file.bytes.length,
      file_path: file.file_path,
    };
  }
}
