/**
 * The embedding thread itself (see embedding-thread.ts): one batch at a time, each input's rows
 * written where the event loop asked, the buffer handed back whether or not it was filled.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SeededEmbeddings, isModelError } from '@hlp/model';
import { CachedEmbeddings } from './embedding-cache.js';
import { niceThisThread } from './helper-thread.js';
import type { EmbedJob, EmbedReply, EmbeddingThreadData } from './embedding-thread.js';

const data = workerData as EmbeddingThreadData;
niceThisThread(data.nice ?? 0);
const source = new CachedEmbeddings(new SeededEmbeddings(data.seed === undefined ? {} : { seed: data.seed }), data.maxTokenRows);

function embed(job: EmbedJob): void {
  const values = new Float64Array(job.buffer);
  const w = source.width;
  let at = 0;
  for (const n of job.counts) {
    source.embed(job.ids.subarray(at, at + n), { out: values.subarray(at * w, (at + n) * w) });
    at += n;
  }
}

parentPort?.on('message', (job: EmbedJob) => {
  let reply: EmbedReply;
  try {
    embed(job);
    reply = { id: job.id, buffer: job.buffer };
  } catch (e) {
    const error = isModelError(e) ? { code: e.code, message: e.message, details: { ...e.details } } : { message: e instanceof Error ? e.message : String(e) };
    reply = { id: job.id, buffer: job.buffer, error };
  }
  parentPort?.postMessage(reply, job.buffer instanceof SharedArrayBuffer ? [] : [job.buffer]);
});
