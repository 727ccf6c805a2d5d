/**
 * Runs the stub server in its own process (so that the load generator and the server do not
 * share an event loop): prints `{"event": "listening", "url": …, "pid": …}` on stdout once listening (the
 * service children's event, so @hlp/procs' runner waits for it), stops on
 * SIGTERM/SIGINT or when stdin closes. Arguments: `--delay <ms>` and `--jitter <ms>` (delay ± jitter, uniform).
 */
import { startStubServer } from './stub-server.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const delayMs = Number(arg('--delay') ?? '0');
const jitterMs = Number(arg('--jitter') ?? '0');
if (!(delayMs >= 0 && delayMs <= 60_000 && jitterMs >= 0 && jitterMs <= delayMs)) {
  process.stderr.write('usage: stub-server-main [--delay <ms, 0..60000>] [--jitter <ms, 0..delay>]\n');
  process.exit(2);
}
const server = await startStubServer({ delayMs, jitterMs });
process.stdout.write(`${JSON.stringify({ event: 'listening', url: server.url, pid: process.pid })}\n`);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
