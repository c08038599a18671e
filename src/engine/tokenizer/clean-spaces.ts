// clean_up_tokenization_spaces as llama_detokenize applies it to BPE
// vocabularies (clean_spaces, on unless the pre-tokenizer family turns it
// off): three passes, in this order, each reading the previous one's output.
//   1. " ?", " !", " .", " ," lose the space;
//   2. a lone apostrophe between spaces, " ' ", becomes "'";
//   3. " 's", " 'm", " 're", " 've" lose the space (" 't", " 'd", " 'll" keep it).
// Only ASCII is looked at, so running it on decoded text or on bytes is the same.

const SPACE = 0x20;
const QUOTE = 0x27;

function isPunct(c: number): boolean {
  return c === 0x3f || c === 0x21 || c === 0x2e || c === 0x2c; // ? ! . ,
}

export function cleanUpSpacesText(text: string): string {
  if (text.length < 2) return text;
  let codes = Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
  codes = passPunctuation(codes);
  codes = passLoneApostrophe(codes);
  codes = passContractions(codes);
  let out = '';
  for (let i = 0; i < codes.length; i += 8192) out += String.fromCharCode(...codes.slice(i, i + 8192));
  return out;
}

function passPunctuation(t: number[]): number[] {
  const out = t.length ? [t[0]] : [];
  for (let i = 1; i < t.length; i++) {
    if (t[i - 1] === SPACE && isPunct(t[i])) out.pop();
    out.push(t[i]);
  }
  return out;
}

function passLoneApostrophe(input: number[]): number[] {
  const t = input.slice();
  const out = t.length ? [t[0]] : [];
  for (let i = 1; i < t.length; i++) {
    const x = t[i];
    if (x === QUOTE && i + 1 < t.length && t[i - 1] === SPACE && t[i + 1] === SPACE) {
      out.pop();
      // the space after is skipped, and no longer counts as a space for the next character
      t[++i] = 0;
    }
    out.push(x);
  }
  return out;
}

function passContractions(t: number[]): number[] {
  const n = t.length;
  const out = n ? [t[0]] : [];
  for (let i = 1; i < n; i++) {
    const x = t[i];
    if (t[i - 1] === SPACE && x === QUOTE && i + 1 < n) {
      const x1 = t[i + 1];
      if (x1 === 0x73 || x1 === 0x6d) out.pop(); // 's 'm
      else if (i + 2 < n) {
        const x2 = t[i + 2];
        if ((x1 === 0x72 || x1 === 0x76) && x2 === 0x65) out.pop(); // 're 've
      }
    }
    out.push(x);
  }
  return out;
}
