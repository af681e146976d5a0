// QR code of a key file for `key export --qr-html` (the page borg prints embeds one too), drawn as
// inline SVG so the page needs no script and no network.
import qrcode from 'qrcode-generator';

/** The key text as an SVG QR code with error correction level H (readable when partly damaged). */
export function keyQrSvg(text: string): string {
  const qr = qrcode(0, 'H');
  qr.addData(text, 'Byte');
  qr.make();
  return qr.createSvgTag({ cellSize: 4, margin: 4, scalable: true });
}
