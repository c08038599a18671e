// The engine thread: loads the model, runs one request at a time, streams
// pieces back. It and its kernel threads do all the inference, so the
// daemon's main thread stays free for MQTT, GPIO and the watchdog.
import { basename } from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { GenerateRequest, LoadOptions } from '../daemon/engine-port.js';
import { GgufType } from './gguf/value-types.js';
import { closeModel, loadModel, type Model } from './model/model.js';
import { PromptError, Session } from './model/session.js';
import { promptTokens } from './prompt.js';
import { BEAT, BUSY, type FromWorker, type ToWorker } from './worker-protocol.js';

const port = parentPort!;
let model: Model | undefined;
let session: Session | undefined;
let heartbeat: Int32Array | undefined;
const running = new Map<number, AbortController>();
const queue: Array<{ id: number; request: GenerateRequest }> = [];
let busy = false;

const send = (m: FromWorker) => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'load': void load(m.path, m.options, m.heartbeat); break;
    case 'generate': queue.push(m); void drain(); break;
    case 'cancel': running.get(m.id)?.abort(); break;
    case 'close': void close(); break;
  }
});

async function load(path: string, options: LoadOptions, beat: SharedArrayBuffer): Promise<void> {
  heartbeat = new Int32Array(beat);
  try {
    model = await loadModel(path, {
      threads: options.threads > 0 ? options.threads : undefined,
      contextLength: options.contextSize > 0 ? options.contextSize : undefined,
      onStep: () => { Atomics.add(heartbeat!, BEAT, 1); },
    });
    session = new Session(model);
    const name = model.file.metadata.get('general.name');
    send({
      type: 'loaded',
      info: {
        path,
        architecture: model.config.arch.name,
        name: name?.type === GgufType.STRING ? String(name.value) : basename(path),
        contextSize: model.state.contextLength,
        chatTemplate: model.tokenizer.hasChatTemplate,
      },
    });
  } catch (err) {
    send({ type: 'load-failed', message: (err as Error).message });
  }
}

async function drain(): Promise<void> {
  if (busy) return;
  busy = true;
  while (queue.length > 0) {
    const { id, request } = queue.shift()!;
    const abort = new AbortController();
    running.set(id, abort);
    Atomics.store(heartbeat!, BUSY, 1);
    try {
      await generate(id, request, abort.signal);
    } finally {
      Atomics.store(heartbeat!, BUSY, 0);
      running.delete(id);
    }
  }
  busy = false;
}

async function generate(id: number, request: GenerateRequest, signal: AbortSignal): Promise<void> {
  try {
    const tokens = promptTokens(model!.tokenizer, request);
    const gen = session!.generate(tokens, {
      maxTokens: request.maxTokens,
      sampler: { temperature: request.temperature, seed: request.seed ?? (Math.random() * 2 ** 32) >>> 0 },
      stop: request.stop,
      signal,
    });
    let step = await gen.next();
    while (!step.done) {
      if (step.value.text) send({ type: 'piece', id, text: step.value.text, token: step.value.token });
      step = await gen.next();
    }
    const r = step.value;
    const { prompt_ms, prompt_tok_s, decode_ms, decode_tok_s } = r.timings;
    send({
      type: 'done',
      id,
      result: {
        text: r.text,
        finishReason: r.finishReason === 'cancelled' ? 'aborted' : r.finishReason,
        promptTokens: r.promptTokens.length,
        completionTokens: r.tokens.length,
        timings: { prompt_ms, prompt_tok_s, decode_ms, decode_tok_s },
      },
    });
  } catch (err) {
    if (err instanceof PromptError) {
      send({ type: 'failed', id, code: err.code === 'prompt_too_long' ? 'prompt_too_long' : 'invalid_request', message: err.message });
    } else {
      send({ type: 'failed', id, message: (err as Error).message });
    }
  }
}

async function close(): Promise<void> {
  for (const a of running.values()) a.abort();
  queue.length = 0;
  if (model) await closeModel(model);
  send({ type: 'closed' });
  port.close();
}
