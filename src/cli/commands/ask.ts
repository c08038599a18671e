import { randomBytes } from 'node:crypto';
import type { Command } from '../main.js';
import { UserError } from '../errors.js';

export const askCommand: Command = {
  summary: 'ask the running daemon over MQTT and print the answer as it streams',
  usage: '[--json] [--max-tokens N] [--temp X] [--timeout S] [--config F] "question"   (broker and topics as `nibble serve` with the same config and environment finds them)',
  options: {
    json: { type: 'boolean' },
    config: { type: 'string', short: 'c' },
    'max-tokens': { type: 'string' },
    temp: { type: 'string' },
    timeout: { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length === 0) throw new UserError('give the question, e.g. nibble ask "What is MQTT?"');
    const prompt = positionals.join(' ');
    const num = (name: string, int: boolean): number | undefined => {
      const v = values[name] as string | undefined;
      if (v === undefined) return undefined;
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || n < 0 || (int && !Number.isInteger(n))) throw new UserError(`--${name} must be a ${int ? 'whole ' : ''}number, got "${v}"`);
      return n;
    };
    const maxTokens = num('max-tokens', true);
    const temperature = num('temp', false);
    const timeoutS = num('timeout', false) ?? 600;

    const { loadConfig } = await import('../../daemon/config/load.js');
    const { resolvePaths } = await import('../../daemon/config/resolve.js');
    const { ConfigError } = await import('../../daemon/config/errors.js');
    let url: string;
    let base: string;
    let auth: { username?: string; password?: string; ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean };
    try {
      const config = loadConfig({ file: values.config as string | undefined, env: process.env });
      const m = config.mqtt;
      url = m.url ?? `mqtt://127.0.0.1:${m.broker_port}`;
      base = resolvePaths(config, process.env).baseTopic;
      const { readFileSync } = await import('node:fs');
      // The same credentials and TLS files the daemon uses; the embedded broker needs none.
      auth = {
        ...(m.url && m.username !== null ? { username: m.username } : {}),
        ...(m.url && m.password !== null ? { password: m.password } : {}),
        ...(m.url && m.ca !== null ? { ca: readFileSync(m.ca) } : {}),
        ...(m.url && m.cert !== null ? { cert: readFileSync(m.cert) } : {}),
        ...(m.url && m.key !== null ? { key: readFileSync(m.key) } : {}),
        rejectUnauthorized: m.reject_unauthorized,
      };
    } catch (err) {
      if (err instanceof ConfigError) throw new UserError(err.message);
      throw err;
    }
    const { default: mqtt } = await import('mqtt');
    const id = randomBytes(6).toString('hex');
    const replyTo = `${base}/reply/${id}`;
    // MQTT 3.1.1 with reply_to works with every broker, the embedded one included.
    const client = await mqtt.connectAsync(url, { ...auth, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, clientId: `nibble-ask-${id}` })
      .catch((err: Error) => { throw new UserError(`cannot reach the broker at ${url} (${err.message}); is \`nibble serve\` running?`); });
    let streamed = '';
    // Ctrl-C while waiting cancels the request; its "cancelled" answer then ends the command.
    const onSigint = () => { client.publish(`${base}/cancel`, JSON.stringify({ id }), { qos: 1 }); };
    process.once('SIGINT', onSigint);
    try {
      const answer = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new UserError(`no answer within ${timeoutS} s (request ${id})`)), timeoutS * 1000);
        client.on('message', (topic, payload) => {
          let msg: Record<string, unknown>;
          try { msg = JSON.parse(payload.toString()) as Record<string, unknown>; } catch { return; }
          if (msg.id !== id) return;
          if (topic === `${base}/stream` && typeof msg.delta === 'string') {
            streamed += msg.delta;
            if (!values.json) process.stdout.write(msg.delta);
          } else if (topic === replyTo) {
            clearTimeout(timer);
            resolve(msg);
          }
        });
        client.subscribeAsync([replyTo, `${base}/stream`], { qos: 1 })
          .then(() => client.publishAsync(`${base}/ask`, JSON.stringify({
            id, prompt, stream: true, reply_to: replyTo,
            ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
            ...(temperature !== undefined ? { temperature } : {}),
          }), { qos: 1 }))
          .catch((err: Error) => { clearTimeout(timer); reject(new UserError(`could not send the request: ${err.message}`)); });
      });
      if (values.json) {
        process.stdout.write(`${JSON.stringify(answer)}\n`);
      } else if (answer.error) {
        const e = answer.error as { code?: string; message?: string };
        if (streamed) process.stdout.write('\n');
        throw new UserError(`${e.code}: ${e.message}`);
      } else {
        // Pieces sent before our subscription took effect are in the full text.
        const text = String(answer.text ?? '');
        if (text.startsWith(streamed)) process.stdout.write(text.slice(streamed.length));
        process.stdout.write('\n');
      }
      return answer.error ? 1 : 0;
    } finally {
      process.off('SIGINT', onSigint);
      await client.endAsync();
    }
  },
};
