import jsQR from 'jsqr';
import { PNG } from 'pngjs';

/** What a phone's camera does with an image: decode the PNG (checking every CRC), then find and read the QR code. */
export function scanQr(png: Uint8Array): { text: string; bytes: number[]; width: number } | undefined {
  const image = PNG.sync.read(Buffer.from(png));
  const found = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
  return found ? { text: found.data, bytes: found.binaryData, width: image.width } : undefined;
}
