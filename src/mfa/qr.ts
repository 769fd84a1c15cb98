/**
 * Provisioning QR code for an otpauth:// URI, as a PNG data URL (for <img src>)
 * and as an SVG document (for inline HTML / printing). Pure (no I/O).
 *
 * The QR encodes the TOTP secret: treat both outputs like the secret itself
 * (return them only in the enrollment response, never log or cache them).
 */
import QRCode from 'qrcode';

export interface ProvisioningQr {
  /** `data:image/png;base64,…` */
  pngDataUrl: string;
  /** `<svg …>…</svg>` */
  svg: string;
}

export interface ProvisioningQrOptions {
  /** Error correction level (default 'M': authenticator URIs are short, and M scans well from screens). */
  errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
  /** PNG width in pixels (default 256). */
  width?: number;
  /** Quiet zone in modules (default 4, the minimum the QR standard asks for). */
  margin?: number;
}

export async function provisioningQr(otpauthUri: string, options: ProvisioningQrOptions = {}): Promise<ProvisioningQr> {
  if (!otpauthUri.startsWith('otpauth://')) throw new TypeError('provisioning QR expects an otpauth:// URI');
  const errorCorrectionLevel = options.errorCorrectionLevel ?? 'M';
  const margin = options.margin ?? 4;
  const width = options.width ?? 256;
  const [pngDataUrl, svg] = await Promise.all([
    QRCode.toDataURL(otpauthUri, { type: 'image/png', errorCorrectionLevel, margin, width }),
    QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel, margin }),
  ]);
  return { pngDataUrl, svg };
}
