import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body whole, or `'too-large'` once it has passed `maxBytes`. A body too large
 * is still read to its end (and dropped), so the caller can answer it with a proper status.
 * Shared by every HTTP emulator and peer of `local/`.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => resolve(size > maxBytes ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `readBody` as bytes; `tooLarge()` is thrown for a body over `maxBytes`. */
export async function readBytes(req: IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  const body = await readBody(req, maxBytes);
  if (body === 'too-large') throw tooLarge();
  return body;
}

/** `readBody` as UTF-8 text; `tooLarge()` is thrown for a body over `maxBytes`. */
export async function readText(req: IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<string> {
  return (await readBytes(req, maxBytes, tooLarge)).toString('utf8');
}
