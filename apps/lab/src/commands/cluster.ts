/**
 * `hlp cluster up|down|status|fault|run`: several proxies and inference services, each in its own
 * network namespace, behind HAProxy, sharing Redis, scraped by Prometheus (apps/lab/src/cluster).
 * This file only declares the commands and prints; the work is in the cluster modules.
 */
import { Command, Option } from 'commander';
import { SCENARIO_NAMES } from '@hlp/loadgen';
import { FAULT_KINDS, applyFault } from '../cluster/faults.js';
import { describeShaping, down, up } from '../cluster/lifecycle.js';
import { parseName } from '../cluster/config.js';
import { ClusterError } from '../cluster/errors.js';
import { parseFaultSpec, runWithFaults } from '../cluster/run.js';
import { renderRunSummary } from '../cluster/report.js';
import { clusterStatus } from '../cluster/status.js';
import { requireState } from '../cluster/state.js';
import type { Io } from '../io.js';

function nameOption(): Option {
  return new Option('--name <name>', "cluster name: 'hlp' + 1–4 letters/digits; prefixes its namespaces and links").default('hlpc');
}

function registerUp(cluster: Command, io: Io): void {
  cluster
    .command('up')
    .description(
      'start K proxies and M inference services in network namespaces on a private bridge, HAProxy in front of each tier, Redis (L2 key cache), Prometheus; removes leftovers of a crashed run first',
    )
    .addOption(nameOption())
    .option('--proxies <k>', 'proxy instances (1–8)', '2')
    .option('--inference <m>', 'inference instances (1–8)', '2')
    .option('--subnet <cidr>', 'private /24 of the bridge (gateway .1, Redis .5, proxies .11…, inference .21…)', '10.231.0.0/24')
    .option('--delay-ms <ms>', "delay on the inference hosts' links, each direction (netem, else a netfilter queue)", '1')
    .option('--loss <pct>', "loss on the inference hosts' links, percent (netem, else nftables)", '0')
    .option('--port <port>', 'HAProxy client port on 127.0.0.1 (0: a free one)', '0')
    .option('--prometheus-port <port>', 'Prometheus on 127.0.0.1 (0: a free one)', '0')
    .option('--no-prometheus', 'do not start Prometheus')
    .addOption(new Option('--backend <name>', 'CKKS backend of every service').choices(['native', 'seal']).default('native'))
    .option('--workloads <list>', 'workloads the inference services serve (affine,projection,mlp)', 'affine')
    .option('--proxy-workers <n>', 'processes per proxy instance (node:cluster)', '1')
    .option('--start-timeout <s>', 'seconds each service may take to become ready', '120')
    .option('--json', 'print the state (without the token) as JSON')
    .action(async (o: Record<string, unknown>) => {
      const raw = {
        name: o['name'],
        proxies: o['proxies'],
        inference: o['inference'],
        subnet: o['subnet'],
        delayMs: o['delayMs'],
        lossPct: o['loss'],
        port: o['port'],
        prometheusPort: o['prometheusPort'],
        prometheus: o['prometheus'],
        backend: o['backend'],
        workloads: o['workloads'],
        proxyWorkers: o['proxyWorkers'],
        startTimeout: o['startTimeout'],
      };
      const state = await up(raw, (line) => io.stderr.write(`${line}\n`));
      if (o['json']) io.stdout.write(`${JSON.stringify({ ...state, token: undefined }, null, 2)}\n`);
      else {
        io.stdout.write(`cluster '${state.name}' up: ${state.haproxy!.clientUrl} (OpenAI base URL ${state.haproxy!.clientUrl}/v1)\n`);
        io.stdout.write(`  load:   hlp load short --rate 20 --target ${state.haproxy!.clientUrl}\n  stats:  ${state.haproxy!.statsUrl}/stats\n`);
        if (state.prometheus) io.stdout.write(`  prom:   ${state.prometheus.url}\n`);
        io.stdout.write(
          `  links:  ${describeShaping(state.shaping)}\n  state:  ${state.dir}/state.json\n  stop:   hlp cluster down${state.name === 'hlpc' ? '' : ` --name ${state.name}`}\n`,
        );
      }
    });
}

function registerDown(cluster: Command, io: Io): void {
  cluster
    .command('down')
    .description('stop the cluster (proxies drain first) and remove its namespaces, bridge and processes; also cleans up after a crashed run')
    .addOption(nameOption())
    .action(async (o: Record<string, unknown>) => {
      const lines = await down(parseName(o['name']));
      io.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : `nothing of cluster '${String(o['name'])}' was running\n`);
    });
}

function registerStatus(cluster: Command, io: Io): void {
  cluster
    .command('status')
    .description('each instance: address, PID, alive, ready; the shaping in force')
    .addOption(nameOption())
    .option('--json', 'JSON instead of text')
    .action(async (o: Record<string, unknown>) => {
      const status = await clusterStatus(await requireState(parseName(o['name'])));
      io.stdout.write(o['json'] ? `${JSON.stringify(status, null, 2)}\n` : `${status.lines.join('\n')}\n`);
    });
}

function registerFault(cluster: Command, io: Io): void {
  cluster
    .command('fault')
    .description('apply a fault now: kill -9 a proxy or inference instance (then restart it), restart Redis, or set the loss on the inference links')
    .argument('<kind>', FAULT_KINDS.join(' | '))
    .argument('[pct]', 'loss: percent of packets dropped (0 turns it off)')
    .addOption(nameOption())
    .option('--host <id>', 'kill-*: which instance (p1, p2, i1, …; default the first)')
    .option('--restart-after <s>', 'kill-*, restart-redis: seconds before restarting', '1')
    .option('--no-restart', 'kill-*: leave the instance down')
    .action(async (kind: string, pct: string | undefined, o: Record<string, unknown>) => {
      if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new ClusterError('BAD_OPTION', `unknown fault '${kind}' (${FAULT_KINDS.join(', ')})`);
      if (pct !== undefined && kind !== 'loss') throw new ClusterError('BAD_OPTION', `${kind} takes no percentage`);
      const lossPct = pct === undefined ? undefined : Number(pct);
      if (lossPct !== undefined && !Number.isFinite(lossPct)) throw new ClusterError('BAD_OPTION', `loss: '${pct}' is not a number`);
      const state = await requireState(parseName(o['name']));
      const restartAfterS = o['restart'] === false ? null : Number(o['restartAfter']);
      const ev = await applyFault(state, { kind, host: o['host'], pct: lossPct, restartAfterS });
      io.stdout.write(`${ev.detail}\n`);
    });
}

function registerRun(cluster: Command, io: Io): void {
  cluster
    .command('run')
    .description(
      'open-loop load through HAProxy while faults are applied on a schedule; writes the load run and a cluster-run summary (accepted, 2xx, errors and why, recovery)',
    )
    .argument('[scenario]', SCENARIO_NAMES.join(' | '), 'short')
    .addOption(nameOption())
    .option('--rate <req/s>', 'offered requests per second', '100')
    .option('--duration <s>', 'measured seconds', '60')
    .option('--warmup <s>', 'seconds of load before measuring', '5')
    .option('--http2', 'h2c to HAProxy instead of HTTP/1.1')
    .option(
      '--fault <kind@t>',
      'kill-proxy@20s, kill-inference@20s, restart-redis@30s, loss=1@10s (t from the end of the warm-up); repeatable',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--restart-after <s>', 'seconds before a killed instance is restarted', '1')
    .option('--out <file>', 'summary file (default <runs dir>/cluster-run-<time>.json)')
    .option('--json', 'print the summary as JSON')
    .action(async (scenario: string, o: Record<string, unknown>) => {
      const state = await requireState(parseName(o['name']));
      const faults = (o['fault'] as string[]).map(parseFaultSpec);
      const summary = await runWithFaults(
        state,
        {
          scenario,
          rate: o['rate'],
          durationS: o['duration'],
          warmupS: o['warmup'],
          http2: o['http2'] === true,
          faults,
          restartAfterS: o['restartAfter'],
          out: o['out'],
        },
        io,
      );
      io.stdout.write(o['json'] ? `${JSON.stringify(summary, null, 2)}\n` : `${renderRunSummary(summary)}\n`);
    });
}

export function registerClusterCommand(program: Command, io: Io): void {
  const cluster = program.command('cluster').description('a multi-instance cluster in network namespaces behind HAProxy, and faults against it (needs root)');
  registerUp(cluster, io);
  registerDown(cluster, io);
  registerStatus(cluster, io);
  registerFault(cluster, io);
  registerRun(cluster, io);
}
