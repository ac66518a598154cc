import { deflateSync } from 'node:zlib';
import { encode } from 'uqr';

export interface QrPngOptions {
  /** Pixels per module (a QR "dot"): 8 makes a 400-odd pixel image of a Solana Pay URL. */
  scale?: number;
  /** Quiet zone around the code, in modules; scanners need 4 (ISO/IEC 18004). */
  border?: number;
  /** Error correction: M survives a smudge or a glare on a phone screen (15% of modules). */
  ecc?: 'L' | 'M' | 'Q' | 'H';
}

/**
 * `text` as a QR code in a PNG image: black modules on white, one bit per pixel, so the image of
 * a Solana Pay transfer request is about a kilobyte (small enough to ride in a queued job).
 */
export function qrPng(text: string, options: QrPngOptions = {}): Uint8Array {
  const scale = options.scale ?? 8;
  const border = options.border ?? 4;
  const { data } = encode(text, { ecc: options.ecc ?? 'M', border });
  const modules = data.length;
  const side = modules * scale;
  const rowBytes = Math.ceil(side / 8);
  // Each scanline: filter type 0, then the row's bits (1 = white in a 1-bit grayscale PNG).
  const raw = Buffer.alloc((rowBytes + 1) * side);
  for (let y = 0; y < side; y++) {
    const row = data[Math.floor(y / scale)]!;
    const offset = y * (rowBytes + 1) + 1;
    for (let x = 0; x < side; x++) {
      if (!row[Math.floor(x / scale)]) raw[offset + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, grayscale, deflate, adaptive filters, no interlace
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  body.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (ISO 3309), as every PNG chunk carries over its type and data. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
