// clean_up_tokenization_spaces as llama_detokenize applies it to BPE
// vocabularies (clean_spaces, on unless the pre-tokenizer family turns it
// off): three passes, in this order, each reading the previous one's output.
//   1. " ?", " !", " .", " ," lose the space;
//   2. a lone apostrophe between spaces, " ' ", becomes "'";
//   3. " 's", " 'm", " 're", " 've" lose the space (" 't", " 'd", " 'll" keep it).
// Only ASCII is looked at, so running it on decoded text or on bytes is the same.

// Each pass equals one global regex replacement: pass 1 only ever removes
// the character just before a kept one; pass 2's matches cannot overlap,
// just as llama.cpp blanks the space it skips; pass 3 only looks ahead.
const PUNCT_AFTER_SPACE = / (?=[?!.,])/g;
const LONE_APOSTROPHE = / ' /g;
const CONTRACTION = / (?='[sm]|'[rv]e)/g;

/** Nothing to clean unless a space comes before one of ? ! . , ' */
const NEEDS_CLEANING = / [?!.,']/;

export function cleanUpSpacesText(text: string): string {
  if (!NEEDS_CLEANING.test(text)) return text;
  return text.replace(PUNCT_AFTER_SPACE, '').replace(LONE_APOSTROPHE, "'").replace(CONTRACTION, '');
}
