/**
 * `hlp serve`: both services on loopback until Ctrl-C / SIGTERM (or until one of them dies):
 * their addresses printed once the proxy has uploaded its keys, then both stopped, proxy first.
 */
import { LabError } from '../errors.js';
import type { Io } from '../io.js';
import { ServeSettings, startServices } from './pair.js';

/** `hlp serve`: start, print the addresses, run until Ctrl-C / SIGTERM (or a child dies). */
export async function serve(rawOptions: unknown, io: Io): Promise<void> {
  const parsed = ServeSettings.safeParse(rawOptions);
  if (!parsed.success) throw new LabError('USAGE', `invalid options: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const opts = parsed.data;
  let stopRequested: ((signal: string) => void) | undefined;
  const stopSignal = new Promise<string>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: string) => (): void => stopRequested?.(signal);
  const sigint = onSignal('SIGINT');
  const sigterm = onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  try {
    const handle = await startServices(opts, io);
    if (opts.json) {
      io.stdout.write(`${JSON.stringify({ event: 'serving', inference: handle.inferenceUrl, proxy: handle.proxyUrl, redis: handle.redisUrl ?? null })}\n`);
    } else {
      const redisLine = handle.redisUrl === undefined ? '' : `redis      ${handle.redisUrl}   (L2 key cache)\n`;
      io.stdout.write(
        `${redisLine}inference  ${handle.inferenceUrl}\nproxy      ${handle.proxyUrl}   (OpenAI base URL ${handle.proxyUrl}/v1)\nCtrl-C stops both.\n`,
      );
    }
    const outcome = await Promise.race([stopSignal.then((s) => ({ signal: s })), handle.exited]);
    if ('signal' in outcome) io.stderr.write(`${outcome.signal}: stopping the proxy, then the inference service\n`);
    await handle.stop();
    if (!('signal' in outcome)) throw new LabError('INFRA', `${outcome.name} exited unexpectedly (code ${String(outcome.code)})`);
  } finally {
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
  }
}
