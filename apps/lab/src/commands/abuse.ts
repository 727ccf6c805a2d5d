/**
 * `hlp abuse`: the abuse suite (src/abuse). Hostile clients of each class the probe of issue
 * #19 found — megabyte prompts without a space, batches of mixed sizes, malformed URLs and
 * bodies, /readyz without a token, slow and idle connections (alone, and paired beside normal
 * traffic), the inference service killed — replayed with generated cases against the embedded
 * services (or a running proxy with --target), while /healthz is probed and memory sampled.
 * Exit 1 on any violation.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_MODEL } from '@hlp/loadgen';
import { HTTP_CLASSES } from '../abuse/cases.js';
import { ABUSE_CLASSES, DEFAULT_COUNTS } from '../abuse/run.js';
import type { Io } from '../io.js';
import { DEFAULT_SENDER_NICE, QUICK_COUNTS, abuseCommand } from '../abuse/command.js';

export function registerAbuseCommand(program: Command, io: Io): void {
  program
    .command('abuse')
    .description(
      'the abuse suite: hostile clients of every known class (megabyte prompts without spaces, mixed-size batches, malformed URLs and bodies, ' +
        '/readyz without a token, slow and idle connections alone and beside 30 req/s of normal traffic, the inference service killed) replayed ' +
        'with generated cases while /healthz is probed and memory sampled; exit 1 on any 5xx, wrong 4xx, dropped request, crash, slow /healthz or RSS past its bound',
    )
    .option('--classes <list>', `classes to run, comma-separated (default all: ${ABUSE_CLASSES.join(', ')})`)
    .option(
      '--cases <n>',
      `generated cases of each request class (default ${HTTP_CLASSES.map((c) => `${c} ${DEFAULT_COUNTS[c]}`).join(', ')}: fewer where each case is encrypted for real)`,
    )
    .option(
      '--quick',
      `a short run (${HTTP_CLASSES.map((c) => `${c} ${QUICK_COUNTS[c]}`).join(', ')}; 24 slow connections; one 3 s pair of load windows at ≤ 10 req/s)`,
    )
    .option('--seed <n>', 'seed of the case generator (default a fresh one, printed)')
    .option('--concurrency <n>', 'request groups in flight at once', '8')
    .option('--slow-connections <n>', 'slow and idle connections opened to each service, and held beside the paired load (default 200; --quick 24)')
    .option('--healthz-ms <ms>', 'bound on every /healthz answer while the suite runs', '50')
    .option(
      '--sender-nice <n>',
      `niceness (0-19) of the suite's own sending thread once the services run, so that the clients it stands in for do not take the services' cores (0: leave it; the /healthz probe keeps its priority)`,
      String(DEFAULT_SENDER_NICE),
    )
    .option(
      '--max-rss-mb <MiB>',
      "bound on each service process's RSS (default 2048: the proxy idles near 0.9 GiB with its keys, and its in-flight ciphertexts are bounded by its --max-inflight-ciphertexts, 384 by default ≈ 50 MB a copy)",
      '2048',
    )
    .option('--load-rate <req/s>', 'slow-load: normal traffic, open loop', '30')
    .option('--load-window <s>', 'slow-load: seconds of each window', '10')
    .option('--load-pairs <n>', 'slow-load: pairs of windows (without, with; then with, without; …)', '3')
    .addOption(new Option('--target <url>', 'loopback URL of a running proxy (default: start the embedded services)'))
    .option('--service <url>', 'with --target: loopback URL of its inference service (for its URL and slow-connection classes)')
    .option('--token <token>', 'with --target: a client token of the proxy')
    .option('--model <id>', 'model of the requests', DEFAULT_MODEL)
    .option('--json', 'print the report as JSON on stdout')
    .option('--out <file>', 'also write the report as JSON to this file')
    .action(async (_o: unknown, command: Command) => {
      await abuseCommand(command.opts(), io);
    });
}
