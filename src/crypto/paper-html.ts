// `borg key export --qr-html`: a printable, self-contained HTML page with the key (spec §2.8).
// borg fills its interactive template (which draws the QR code with an embedded JavaScript library)
// with the key file text. Ours is a static page holding the same key file text, the paper-key
// rendering of it, and a QR code when the caller supplies an SVG renderer; the page never loads
// anything from the network.
import { keyBlobFromText } from './key-blob.js';
import { parseKeyFile } from './key-file.js';
import { formatPaperKey } from './paper.js';

export interface KeyHtmlOptions {
  /** Renders `text` as an SVG QR code (error correction H, as borg's page defaults to). */
  qrSvg?: (text: string) => string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body { font-family: sans-serif; margin: 2em; }
pre { font-family: monospace; font-size: 10pt; white-space: pre-wrap; word-break: break-all; }
#qr svg { width: 100mm; height: 100mm; }
@media print { .noprint { display: none; } }
`;

/** The HTML page for a key file text (`BORG_KEY <id>\n<blob lines>\n`, as `borg key export` writes). */
export function renderKeyHtml(keyFileText: string, options: KeyHtmlOptions = {}): string {
  const parsed = parseKeyFile(keyFileText);
  const paper = formatPaperKey(keyBlobFromText(parsed.blobText), parsed.repositoryId);
  const qr = options.qrSvg ? `<div id="qr">${options.qrSvg(keyFileText)}</div>\n` : '';
  return `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>BorgBackup Printable Key Backup</title>
<style>${STYLE}</style>
</head>
<body>
<h1>BorgBackup Printable Key Backup</h1>
<p>To restore, either scan the QR code (if shown), save the decoded text to a file and run
<code>borg key import /path/to/repo scannedfile</code>, or run
<code>borg key import --paper /path/to/repo</code> and type in the lines below.</p>
<pre id="typein">${escapeHtml(paper.slice(paper.indexOf('BORG PAPER KEY')))}</pre>
${qr}<h2>Key file</h2>
<pre id="keyfile">${escapeHtml(keyFileText)}</pre>
<p class="noprint">Keep this page safe: together with the passphrase it gives access to the repository.
Printing may store the page on other computers (print servers, cloud printing).</p>
</body>
</html>
`;
}
