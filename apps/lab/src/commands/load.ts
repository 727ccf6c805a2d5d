/**
 * `hlp load <scenario>`: drive `POST /v1/embeddings` with prompts of the scenario's exact GPT-2
 * token count — open loop (`--rate`, fixed schedule, coordinated-omission-corrected latencies)
 * or closed loop (`--connections`), HTTP/1.1 or HTTP/2 (`--http2`, h2c) — while sampling the
 * services' CPU, RSS, event-loop delay and GPU; print a live line per second and a summary, and
 * write the run document (suite `load`). Without --target it starts the embedded services and
 * stops them at the end (also on Ctrl-C). `hlp load --verify` cross-checks the drivers against
 * wrk and h2load. Only loopback targets are accepted. (load/run.ts runs it.)
 */
import { Command, Option } from 'commander';
import {
  DEFAULTS,
  DEFAULT_CROSSCHECK,
  DEFAULT_MODEL,
  DEFAULT_PROMPTS,
  RSS_GROWTH_MIN_WINDOW_MS,
  RSS_SETTLE_MS,
  SCENARIOS,
  SCENARIO_NAMES,
  TOLERANCE,
} from '@hlp/loadgen';
import type { Io } from '../io.js';
import {
  parseConnections,
  parseDrivers,
  parseDuration,
  parseMaxRssGrowth,
  parsePid,
  parsePrompts,
  parseRate,
  parseRatesOption,
  parseSloP95,
  parseSloSuccess,
  parseSeed,
  parseStreams,
  parseTargetUrl,
  parseTimeoutMs,
  parseWarmup,
  scenarioArg,
} from '../load/options.js';
import { DEFAULT_LADDER_SLO, LADDER_WARMUP_MS } from '../load/ladder.js';
import { COLD_START_WARMUP_MS, loadCommand } from '../load/run.js';

export function registerLoadCommand(program: Command, io: Io): void {
  program
    .command('load')
    .description(
      `load POST /v1/embeddings with prompts of exactly the scenario's GPT-2 token count (${SCENARIO_NAMES.map((s) => `${s} ${SCENARIOS[s].tokens}`).join(', ')}); ` +
        'open loop (--rate) or closed loop (--connections), HTTP/1.1 or --http2; samples CPU and RSS (of the services and of the load generator itself), event-loop delay and GPU; writes runs/<time>-load.json',
    )
    .argument('[scenario]', `${SCENARIO_NAMES.join(' | ')} (with --verify: the prompt of the request body, default short)`, (v: string) => scenarioArg(v))
    .addOption(
      new Option('--rate <req/s>', "open loop: offered requests per second on a fixed schedule; latency from each request's intended send time").argParser(
        parseRate,
      ),
    )
    .addOption(
      new Option(
        '--rates <list>',
        "a rate ladder: one open-loop run per rate (e.g. 100,150,200), ascending, against the same services; prints each step's capacity line and the highest rate meeting the SLO; stops after the first step that misses",
      ).argParser(parseRatesOption),
    )
    .addOption(
      new Option('--slo-p95 <ms>', `with --rates: the latency P95 a step must stay within (default ${DEFAULT_LADDER_SLO.p95Ms})`).argParser(parseSloP95),
    )
    .addOption(
      new Option('--slo-success <ratio>', `with --rates: the 2xx share a step must reach, 0–1 (default ${DEFAULT_LADDER_SLO.success})`).argParser(
        parseSloSuccess,
      ),
    )
    .addOption(
      new Option(
        '--max-rss-growth <share>',
        `a soak's bound: fail (exit 1) when a sampled process's RSS grew by more than this share after the first ${RSS_SETTLE_MS / 60_000} minutes ` +
          `(median of the last minute over that of the sixth; e.g. 0.1); needs --duration ${RSS_GROWTH_MIN_WINDOW_MS / 1000} or more`,
      ).argParser(parseMaxRssGrowth),
    )
    .addOption(
      new Option(
        '--connections <n>',
        `closed loop: connections, each sending when its previous request is answered; with --rate: the most connections the open loop uses (default ${DEFAULTS.openConnectionsHttp1}, HTTP/2 ${DEFAULTS.openConnectionsH2}); --verify default ${DEFAULT_CROSSCHECK.connections}`,
      ).argParser(parseConnections),
    )
    .addOption(
      new Option(
        '--streams <n>',
        `HTTP/2 streams per connection (closed loop default ${DEFAULTS.h2Streams}, open loop ${DEFAULTS.openStreamsH2}; --verify ${DEFAULT_CROSSCHECK.streams})`,
      ).argParser(parseStreams),
    )
    .addOption(
      new Option('--duration <s>', `measured seconds (default ${DEFAULTS.durationMs / 1000}; --verify ${DEFAULT_CROSSCHECK.durationS} per tool)`).argParser(
        parseDuration,
      ),
    )
    .addOption(
      new Option(
        '--warmup <s>',
        `seconds of load before measuring, not counted (default ${DEFAULTS.warmupMs / 1000}; each --rates step ${LADDER_WARMUP_MS / 1000}; ` +
          `${COLD_START_WARMUP_MS / 1000} before the first measurement against the embedded services, which start cold; --verify ${DEFAULT_CROSSCHECK.warmupS})`,
      ).argParser(parseWarmup),
    )
    .option(
      '--ramp',
      'open loop: the warm-up raises the offered rate linearly from 0 to --rate over its first half, then holds --rate, so that cold services ' +
        'meet no full-rate queue and what a higher rate has to grow grows before the window (default with --rates)',
    )
    .option('--no-ramp', 'open loop: the warm-up sends at the full rate from the start (default with --rate)')
    .addOption(
      new Option(
        '--drivers <n>',
        'open loop: driver processes sharing the schedule (each sends every n-th request, phase-shifted, so together they send what one would), ' +
          'for rates one event loop cannot drive; latency summaries from their HdrHistograms merged exactly; with --verify: cross-check this driver',
      ).argParser(parseDrivers),
    )
    .option('--http2', 'HTTP/2 over cleartext (h2c, prior knowledge), several streams per connection')
    .addOption(
      new Option('--target <url>', 'loopback URL of a running proxy (default: start the embedded services and stop them at the end)').argParser(parseTargetUrl),
    )
    .option('--token <token>', 'bearer token for the proxy (Authorization header)')
    .option('--model <id>', `model of the request body (default ${DEFAULT_MODEL})`)
    .addOption(new Option('--prompts <n>', `distinct prompts to rotate through (default ${DEFAULT_PROMPTS})`).argParser(parsePrompts))
    .addOption(new Option('--seed <n>', 'seed of the prompt generator').argParser(parseSeed))
    .addOption(new Option('--timeout <ms>', `per-request timeout (default ${DEFAULTS.timeoutMs})`).argParser(parseTimeoutMs))
    .addOption(new Option('--pid <name=pid>', 'with --target: a process to sample (CPU, RSS), repeatable, e.g. --pid proxy=1234').argParser(parsePid))
    .option('--json', 'print the run document on stdout (and nothing else there)')
    .option('--out <file>', 'write the run document to this file instead of the runs directory')
    .option(
      '--verify',
      `cross-check the drivers against wrk (HTTP/1.1, within ${TOLERANCE.http1 * 100} %) and h2load (HTTP/2, within ${TOLERANCE.h2 * 100} %) on a fixed-cost stub endpoint ` +
        '(or --target), same connections and duration; writes runs/<time>-load-crosscheck.json; exit 1 when they disagree',
    )
    .addHelpText(
      'after',
      "\nDrivers: HTTP/1.1 closed loop = autocannon; every open loop and HTTP/2 = the lab's own (node:http / node:http2),\n" +
        'because autocannon cannot tell when a request was meant to be sent. Progress goes to stderr once a second.\n' +
        'Runs are written to $HLP_RUNS_DIR or <repo root>/runs. Only loopback targets are accepted.',
    )
    .action(async (scenario: string | undefined, _options: unknown, command: Command) => {
      await loadCommand(scenario, command.opts(), io);
    });
}
