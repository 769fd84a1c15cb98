import { describe, expect, it } from 'vitest';
import { provisioningQr } from '../../../src/mfa/qr.js';
import { generateTotpSecret, provisioningUri } from '../../../src/mfa/totp.js';

describe('provisioningQr', () => {
  const uri = provisioningUri({ secret: generateTotpSecret(), issuer: 'sipwarden', account: 'ext 201' });

  it('renders a PNG data URL and an SVG document', async () => {
    const qr = await provisioningQr(uri);
    expect(qr.pngDataUrl.startsWith('data:image/png;base64,')).toBe(true);
    const png = Buffer.from(qr.pngDataUrl.slice('data:image/png;base64,'.length), 'base64');
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    // IHDR width = requested width.
    expect(png.readUInt32BE(16)).toBe(256);
    expect(qr.svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(qr.svg.trim().endsWith('</svg>')).toBe(true);
  });

  it('differs for different secrets and honours options', async () => {
    const other = provisioningUri({ secret: generateTotpSecret(), issuer: 'sipwarden', account: 'ext 201' });
    const [a, b] = await Promise.all([provisioningQr(uri), provisioningQr(other)]);
    expect(a.svg).not.toBe(b.svg);
    const big = await provisioningQr(uri, { width: 512, errorCorrectionLevel: 'H' });
    expect(Buffer.from(big.pngDataUrl.split(',')[1] ?? '', 'base64').readUInt32BE(16)).toBe(512);
  });

  it('only accepts otpauth URIs', async () => {
    await expect(provisioningQr('https://example.com')).rejects.toThrow(TypeError);
  });
});
