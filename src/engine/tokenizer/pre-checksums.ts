// How llama.cpp's converter names a BPE pre-tokenizer: it tokenizes one fixed
// text with the Hugging Face tokenizer (special tokens added, as
// tokenizer.encode does by default), hashes str(ids) with sha256 and looks the
// hash up in a table of known models (convert_hf_to_gguf.py,
// get_vocab_base_pre). nibble tokenizes the same text with its own BPE, which
// agrees with Hugging Face on these vocabularies, and uses the same table for
// the pre-tokenizers it implements.

export const CHECKSUM_TEXT =
  "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL";

/** sha256(str(ids)) -> tokenizer.ggml.pre, for the pre-tokenizers nibble implements. */
export const KNOWN_CHECKSUMS: Readonly<Record<string, string>> = {
  '0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5': 'llama-bpe', // meta-llama/Meta-Llama-3-8B
  'c136ed14d01c2745d4f60a9596ae66800e2b61fa45643e72436041855ad4089d': 'smaug-bpe',
  '049ecf7629871e3041641907f3de7c733e4dbfdc736f57d882ba0b0845599754': 'deepseek-llm',
  '347715f544604f9118bb75ed199f68779f423cabb20db6de6f31b908d04d7821': 'deepseek-coder',
  '8aeee3860c56296a157a1fe2fad249ec40aa59b1bb5709f4ade11c4e6fe652ed': 'falcon',
  '9d032fcbd5501f4a38150912590928bfb36091efb5df11b8e2124b0390e3fb1e': 'falcon3',
  'b6dc8df998e1cfbdc4eac8243701a65afe638679230920b50d6f17d81c098166': 'mpt', // also OLMo; same pre-tokenizer
  '35d91631860c815f952d711435f48d356ebac988362536bed955d43bfa436e34': 'starcoder',
  '3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454': 'gpt-2',
  '32d85c31273f8019248f2559fed492d929ea28b17e51d81d3bb36fff23ca72b3': 'stablelm2',
  '6221ad2852e85ce96f791f476e0b390cf9b474c9e3d1362f53a24a06dc8220ff': 'refact',
  '9c2227e4dd922002fb81bde4fc02b0483ca4f12911410dee2255e4987644e3f8': 'command-r',
  'e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea': 'qwen2', // Qwen1.5 / Qwen2 / Qwen2.5
  'd4540891389ea895b53b399da6ac824becc30f2fba0e9ddbb98f92e55ca0e97c': 'qwen2', // Qwen3
  'a8594e3edff7c29c003940395316294b2c623e09894deebbc65f33f1515df79e': 'dbrx',
  'c7ea5862a53e4272c035c8238367063e2b270d51faa48c0f09e9d5b54746c360': 'poro-chat',
  '7fc505bd3104ca1083b150b17d088b59534ede9bde81f0dd2090967d7fe52cee': 'viking',
  'b53802fb28e26d645c3a310b34bfe07da813026ec7c7716883404d5e0f8b1901': 'jais',
  '7b3e7548e4308f52a76e8229e4e6cc831195d0d1df43aed21ac6c93da05fec5f': 'codeshell',
  '63b97e4253352e6f357cc59ea5b583e3a680eaeaf2632188c2b952de2588485e': 'tekken',
  '855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249': 'smollm', // HuggingFaceTB/SmolLM-135M
  '3c30d3ad1d6b64202cd222813e7736c2db6e1bd6d67197090fc1211fbc612ae7': 'bloom',
  'bc01ce58980e1db43859146dc51b1758b3b88729b217a74792e9f8d43e479d21': 'gpt3-finnish',
  '4e2b24cc4770243d65a2c9ec19770a72f08cffc161adbb73fcbb6b7dd45a0aae': 'exaone',
  'fcace8b9cac38ce847670c970cd5892031a753a1ef381abd1d9af00f713da085': 'phi-2',
  '60824e3c0d9401f89943cbb2fff727f0e2d4c545ba4df2d6e4f09a6db0f5b450': 'chameleon',
  '8b5a93ed704057481f240da0be7e7dca721d7f8f4755263b6807227a2cbeae65': 'roberta-bpe',
  'ad851be1dba641f2e3711822f816db2c265f788b37c63b4e1aeacb9ee92de8eb': 'gigachat',
  'd4c8f286ea6b520b3d495c4455483cfa2302c0cfcd4be05d781b6a8a0a7cdaf1': 'megrez',
  '877081d19cf6996e2c4ff0e1236341e9b7bde288f5311a56a937f0afbbb3aeb5': 'deepseek-v3',
  'b3f499bb4255f8ca19fccd664443283318f2fd2414d5e0b040fbdd0cc195d6c5': 'deepseek-r1-qwen',
  'ccc2ef013c104be7bae2965776d611e1d7a8a2a9c547dd93a682c9a9fc80352e': 'gpt-4o',
  'b6e8e1518dc4305be2fe39c313ed643381c4da5db34a98f6a04c093f8afbe99b': 'chatglm-bpe',
  '81d72c7348a9f0ebe86f23298d37debe0a5e71149e29bd283904c02262b27516': 'chatglm-bpe',
  'a1336059768a55c99a734006ffb02203cd450fed003e9a71886c88acf24fdbc2': 'glm4',
  '1431a23e583c97432bc230bff598d103ddb5a1f89960c8f1d1051aaa944d0b35': 'minerva-7b',
  '0e9433cbbb161f89e264eb32e8e64bfe69e834973ffca5d41d3948a604a3e2a3': 'pixtral',
  'd353350c764d8c3b39c763113960e4fb4919bea5fbf208a0e3b22e8469dc7406': 'llama4',
};
