// GPT-2's byte-level alphabet: every byte is shown as one printable code
// point, so BPE vocabularies hold only printable text. Bytes that are already
// printable Latin-1 keep their own code point; the other 68 take U+0100 up,
// in byte order.

function isSelfPrintable(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

/** byte -> its code point in the alphabet. */
export const BYTE_TO_CODEPOINT: Uint16Array = (() => {
  const map = new Uint16Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = isSelfPrintable(b) ? b : 256 + n++;
  return map;
})();

/** byte -> its one-character string in the alphabet. */
export const BYTE_TO_CHAR: readonly string[] = Array.from(BYTE_TO_CODEPOINT, (cp) => String.fromCharCode(cp));

/** code point -> byte, or -1 for a code point outside the alphabet. */
const CODEPOINT_TO_BYTE: Int16Array = (() => {
  const map = new Int16Array(324).fill(-1);
  BYTE_TO_CODEPOINT.forEach((cp, b) => { map[cp] = b; });
  return map;
})();

export function codepointToByte(cp: number): number {
  return cp < CODEPOINT_TO_BYTE.length ? CODEPOINT_TO_BYTE[cp] : -1;
}

const utf8 = new TextEncoder();

/** Text -> its UTF-8 bytes written in the byte-level alphabet. */
export function byteEncode(text: string): string {
  const bytes = utf8.encode(text);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_CHAR[bytes[i]];
  return out;
}
