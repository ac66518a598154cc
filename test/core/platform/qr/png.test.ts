import fc from 'fast-check';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { qrPng } from '../../../../core/platform/qr/png.js';
import { scanQr as scan } from '../../../helpers/qr.js';

const URL =
  'solana:9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin?amount=1.5&reference=82ZJ7nbGpixjeDCmEhUcmwXYfvurzAgGdtSMuHnUgyny&label=Solana%20wallet%20desk&message=Deposit%2082ZJ7nbG';

describe('qrPng', () => {
  it('draws a Solana Pay request a scanner reads back exactly, in under 2 KB', () => {
    const png = qrPng(URL);
    expect(png.length).toBeLessThan(2_048);
    expect(scan(png)?.text).toBe(URL);
  });

  it('scales modules and keeps a quiet zone of four modules by default', () => {
    const small = PNG.sync.read(Buffer.from(qrPng('hi', { scale: 2 })));
    const large = PNG.sync.read(Buffer.from(qrPng('hi', { scale: 6 })));
    expect(large.width).toBe(3 * small.width);
    expect(large.height).toBe(large.width);
    const pixel = (x: number, y: number) => large.data[(y * large.width + x) * 4];
    // Four modules of six pixels each side are the quiet zone: white…
    for (let i = 0; i < 24; i++) expect([pixel(i, 24), pixel(24, i)]).toEqual([255, 255]);
    // …then the finder pattern's corner: black.
    expect(pixel(24, 24)).toBe(0);
  });

  it('round-trips any text, Unicode included (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }), (text) => {
        const found = scan(qrPng(text, { scale: 3 }));
        expect(Buffer.from(found?.bytes ?? []).toString('utf8')).toBe(text);
      }),
      { numRuns: 40 },
    );
  });
});
