/**
 * `hlp serve`: the system under test on loopback (services/serve.ts). Starts the inference
 * service, then the proxy pointed at it, each as its own process, on free ports unless given;
 * prints their addresses once the proxy has uploaded its keys; stops both (proxy first) on
 * Ctrl-C / SIGTERM.
 *
 * The service token between them is `--token`, else HLP_SERVICE_TOKEN, else a fresh random one;
 * it reaches the children through their environment, never their command line.
 */
import { Option, type Command } from 'commander';
import type { Io } from '../io.js';
import { WORKLOADS } from '../services/pair.js';
import { serve } from '../services/serve.js';

export function registerServeCommand(program: Command, io: Io): void {
  program
    .command('serve')
    .description('start the inference service and the proxy on loopback (free ports unless given), print their addresses, stop both on Ctrl-C / SIGTERM')
    .option('--host <host>', 'address both listen on', '127.0.0.1')
    .option('--port <port>', 'proxy port (0: a free one)', '0')
    .option('--inference-port <port>', 'inference service port (0: a free one)', '0')
    .addOption(
      new Option('--backend <name>', 'CKKS backend of the proxy (encryption) and of the inference service (every workload)')
        .choices(['native', 'seal'])
        .default('native'),
    )
    .option('--workload-seed <n>', 'seed of the server-owned workload weights')
    .option('--workloads <list>', `workloads to serve (${WORKLOADS.join(',')}; default all)`)
    .option('--token <token>', 'service-to-service bearer token (default $HLP_SERVICE_TOKEN or a random one)')
    .option('--key-file <path>', "the proxy's key file (loaded if present, else written with mode 0600)")
    .option('--start-timeout <s>', 'seconds to wait for each service to come up', '120')
    .option('--batch-window <ms>', 'proxy: request batching window (default 50; 0 turns batching off)')
    .option('--no-batching', 'proxy: every request on its own (same as --batch-window 0)')
    .option('--max-batch <n>', 'proxy: requests per batch at most (default 32)')
    .option('--prompt-cache-bytes <n>', 'proxy: cache of encrypted prompt blocks (default 0 = off; equal prompts then give equal ciphertexts upstream)')
    .option('--client-tokens <list>', 'proxy: client API keys (comma-separated); /v1 then needs Authorization: Bearer <key>')
    .option('--client-tokens-file <path>', 'proxy: client API keys, one per line')
    .option('--tls-cert <pem>', 'proxy: serve HTTPS (ALPN h2 + http/1.1) with this certificate (and --tls-key)')
    .option('--tls-key <pem>', "proxy: the certificate's private key")
    .option('--workers <n>', 'proxy: processes sharing the port (node:cluster; default 1)')
    .option('--inference-workers <n>', 'inference service: processes sharing its port (default 1)')
    .option(
      '--redis <url|local>',
      "inference service: L2 key cache in Redis (redis://127.0.0.1:6379), or 'local': start a private redis-server on a free loopback port and stop it with the services",
    )
    .option('--key-cache-dir <dir>', 'inference service: L3 key cache directory')
    .option('--json', 'print one JSON line {event:"serving", inference, proxy} instead of text')
    .option('--quiet', "only the services' warnings and errors on stderr")
    .action(async (_options: unknown, command: Command) => {
      await serve(command.opts(), io);
    });
}
