#!/usr/bin/env node
// Single-request latency per pipeline stage, as measured by the proxy (Server-Timing header):
// starts hlp-inference and hlp-proxy as separate processes on loopback, sends sequential
// /v1/embeddings requests with a prompt of exactly --tokens tokens, prints the median of each
// stage over --requests requests (after --warmup ones), for each --models entry.
//
// Usage (after `npm run build`):
//   node apps/proxy/scripts/stages.mjs [--backend native|seal] [--tokens 32] [--requests 20]
//        [--warmup 2] [--models hlp-affine,hlp-projection] [--json]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { detokenize, tokenize } from '@hlp/model';
import { parseServerTiming } from '@hlp/protocol';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' },
    tokens: { type: 'string', default: '32' },
    requests: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    models: { type: 'string', default: 'hlp-affine,hlp-projection' },
    json: { type: 'boolean', default: false },
  },
});
const tokens = Number(values.tokens);
const requests = Number(values.requests);
const warmup = Number(values.warmup);
const models = values.models.split(',');

const TEXT =
  'Homomorphic encryption lets an untrusted server evaluate functions on data it cannot read. ' +
  'The proxy tokenizes the prompt, looks up GPT-2 embeddings, packs them into CKKS slots, encrypts them, ' +
  'and sends only ciphertexts to the inference service, which returns ciphertexts that only the proxy can decrypt.';

function promptOf(n) {
  let ids = tokenize(TEXT.repeat(Math.ceil(n / 40) + 1)).slice(0, n);
  let text = detokenize(ids);
  // Decoding and re-encoding a prefix can merge tokens; trim until it round-trips to n tokens.
  for (let extra = 0; tokenize(text).length !== n && extra < 16; extra++) {
    ids = tokenize(TEXT.repeat(Math.ceil(n / 40) + 1)).slice(0, n + extra + 1);
    text = detokenize(ids);
    const again = tokenize(text);
    if (again.length >= n) text = detokenize(again.slice(0, n));
  }
  if (tokenize(text).length !== n) throw new Error(`could not build a ${n}-token prompt`);
  return text;
}

function start(name, script, args, env) {
  const proc = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const events = [];
  const waiters = [];
  createInterface({ input: proc.stdout }).on('line', (l) => {
    try {
      events.push(JSON.parse(l));
      waiters.splice(0).forEach((w) => w());
    } catch {
      /* ignore */
    }
  });
  return {
    proc,
    async next(event) {
      for (;;) {
        const e = events.find((x) => x.event === event);
        if (e) return e;
        if (proc.exitCode !== null) throw new Error(`${name} exited`);
        await new Promise((r) => {
          waiters.push(r);
          setTimeout(r, 500);
        });
      }
    },
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const env = { ...process.env, HLP_SERVICE_TOKEN: `stages-${process.pid}-${Date.now()}` };
const inf = start('inference', '../../inference/bin/hlp-inference.js', ['--port', '0', '--backend', values.backend, '--quiet'], env);
const infUrl = (await inf.next('listening')).url;
const px = start('proxy', '../bin/hlp-proxy.js', ['--port', '0', '--upstream', infUrl, '--backend', values.backend, '--quiet'], env);
const pxUrl = (await px.next('listening')).url;
const ready = await px.next('ready');
const prompt = promptOf(tokens);
const STAGES = ['tokenize', 'embed', 'encode', 'encrypt', 'serialize', 'upload', 'evaluate', 'download', 'deserialize', 'decrypt', 'decode', 'pool'];
const report = { backend: ready.backend, tokens, requests, models: {} };
try {
  for (const model of models) {
    const samples = [];
    for (let i = 0; i < warmup + requests; i++) {
      const t0 = performance.now();
      const r = await fetch(`${pxUrl}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, input: prompt }),
      });
      const body = await r.json();
      const total = performance.now() - t0;
      if (r.status !== 200) throw new Error(`${model}: ${r.status} ${JSON.stringify(body)}`);
      if (body.usage.prompt_tokens !== tokens) throw new Error(`prompt has ${body.usage.prompt_tokens} tokens`);
      if (i >= warmup) {
        samples.push({
          ...parseServerTiming(r.headers.get('server-timing')),
          total,
          ciphertexts: Number(r.headers.get('x-hlp-ciphertexts')),
          server: parseServerTiming(r.headers.get('x-hlp-upstream-timing')),
          ops: JSON.parse(r.headers.get('x-hlp-ops')),
        });
      }
    }
    // The proxy's own view of the request (receive → response finished), for the client-side overhead.
    const metrics = await (await fetch(`${pxUrl}/metrics`)).text();
    const pick = (suffix) =>
      Number(
        new RegExp(`^hlp_http_request_duration_seconds_${suffix}\\{route="/v1/embeddings",method="POST",status="200"\\} (\\S+)$`, 'm').exec(metrics)?.[1] ??
          NaN,
      );
    const proxyMeanMs = (1000 * (pick('sum') - (report.sumSoFar ?? 0))) / (pick('count') - (report.countSoFar ?? 0));
    report.sumSoFar = pick('sum');
    report.countSoFar = pick('count');
    const med = {};
    for (const s of [...STAGES, 'total']) med[s] = Number(median(samples.map((x) => x[s] ?? 0)).toFixed(3));
    const server = {};
    for (const s of ['queue', 'deserialize', 'evaluate', 'serialize']) server[s] = Number(median(samples.map((x) => x.server[s] ?? 0)).toFixed(3));
    report.models[model] = {
      medianMs: med,
      serverMedianMs: server,
      proxyHandlerMeanMs: Number(proxyMeanMs.toFixed(3)),
      ciphertexts: samples[0].ciphertexts,
      ops: samples[0].ops,
    };
  }
} finally {
  px.proc.kill('SIGTERM');
  inf.proc.kill('SIGTERM');
}
delete report.sumSoFar;
delete report.countSoFar;
if (values.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  console.log(`backend ${report.backend}, ${tokens}-token prompt, median of ${requests} sequential requests (ms)`);
  const cols = [...STAGES, 'total'];
  console.log(['model'.padEnd(16), ...cols.map((c) => c.padStart(12))].join(''));
  for (const [m, r] of Object.entries(report.models)) {
    console.log([m.padEnd(16), ...cols.map((c) => r.medianMs[c].toFixed(2).padStart(12))].join(''));
  }
  for (const [m, r] of Object.entries(report.models)) {
    console.log(
      `${m}: ${r.ciphertexts} ciphertexts; proxy handler mean ${r.proxyHandlerMeanMs} ms (incl. warm-up); service-side median queue ${r.serverMedianMs.queue} ms, deserialize ${r.serverMedianMs.deserialize} ms, evaluate ${r.serverMedianMs.evaluate} ms, serialize ${r.serverMedianMs.serialize} ms; ops ${JSON.stringify(r.ops)}`,
    );
  }
}
