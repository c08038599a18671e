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

/** Nothing to clean unless a space comes before one of ? ! . , ' */
const NEEDS_CLEANING = / [?!.,']/;

export function cleanUpSpacesText(text: string): string {
  if (text.length < 2 || !NEEDS_CLEANING.test(text)) return text;
  let t: Uint16Array = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) t[i] = text.charCodeAt(i);
  t = passPunctuation(t);
  t = passLoneApostrophe(t);
  t = passContractions(t);
  let out = '';
  for (let i = 0; i < t.length; i += 8192) out += String.fromCharCode(...t.subarray(i, i + 8192));
  return out;
}

// Each pass writes its output over a copy as llama.cpp writes in place;
// "total" is how many characters are kept so far.

function passPunctuation(t: Uint16Array): Uint16Array {
  const out = new Uint16Array(t.length);
  let total = t.length ? 1 : 0;
  out[0] = t[0];
  for (let i = 1; i < t.length; i++) {
    if (t[i - 1] === SPACE && isPunct(t[i])) total--;
    out[total++] = t[i];
  }
  return out.subarray(0, total);
}

function passLoneApostrophe(input: Uint16Array): Uint16Array {
  const t = input.slice();
  const out = new Uint16Array(t.length);
  let total = t.length ? 1 : 0;
  out[0] = t[0];
  for (let i = 1; i < t.length; i++) {
    const x = t[i];
    if (x === QUOTE && i + 1 < t.length && t[i - 1] === SPACE && t[i + 1] === SPACE) {
      total--;
      // the space after is skipped, and no longer counts as a space for the next character
      t[++i] = 0;
    }
    out[total++] = x;
  }
  return out.subarray(0, total);
}

function passContractions(t: Uint16Array): Uint16Array {
  const n = t.length;
  const out = new Uint16Array(n);
  let total = n ? 1 : 0;
  out[0] = t[0];
  for (let i = 1; i < n; i++) {
    const x = t[i];
    if (t[i - 1] === SPACE && x === QUOTE && i + 1 < n) {
      const x1 = t[i + 1];
      if (x1 === 0x73 || x1 === 0x6d) total--; // 's 'm
      else if (i + 2 < n) {
        const x2 = t[i + 2];
        if ((x1 === 0x72 || x1 === 0x76) && x2 === 0x65) total--; // 're 've
      }
    }
    out[total++] = x;
  }
  return out.subarray(0, total);
}
