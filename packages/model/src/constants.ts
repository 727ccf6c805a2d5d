/** GPT-2 (small) shapes: the tokenizer's vocabulary, the hidden width and the context length. */
export const GPT2 = {
  /** Tokens in the r50k_base vocabulary (50 000 merges + 256 bytes + `<|endoftext|>`). */
  vocabSize: 50257,
  /** Hidden width of GPT-2 small (`n_embd`). */
  width: 768,
  /** Context length (`n_positions`). */
  context: 1024,
  /** Id of `<|endoftext|>`. */
  endOfText: 50256,
} as const;

/** Slots of a CKKS ciphertext at ring degree N = 8192 (N / 2). */
export const SLOTS_N8192 = 4096;

/** Seed used when none is given (any fixed integer would do; the weights are public). */
export const DEFAULT_SEED = 0x2019_0214;
