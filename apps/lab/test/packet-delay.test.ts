/**
 * hlp-packet-delay, the cluster's link delay where the kernel has no netem: its arguments, and,
 * as root, a real netfilter queue in a namespace made here: every TCP handshake to a server in the
 * namespace takes at least twice the delay (the SYN held on the way in, the SYN-ACK on the way
 * out) while the delayer runs, and traffic flows again once it has stopped.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { netnsUnavailable } from '../src/cluster/network.js';
import { nfqueueUnavailable, PACKET_DELAY_BIN } from '../src/cluster/shaping.js';
import { sh } from '../src/cluster/sh.js';

const NOT_BUILT = nfqueueUnavailable();
const BIN_SKIP = NOT_BUILT && !NOT_BUILT.startsWith('iptables') ? NOT_BUILT : false;

describe('hlp-packet-delay arguments', { skip: BIN_SKIP }, () => {
  for (const [args, message] of [
    [[], /--queue and --delay-us are required/],
    [['--queue', '0'], /--queue and --delay-us are required/],
    [['--queue', '70000', '--delay-us', '1000'], /--queue takes a number from 0 to 65535/],
    [['--queue', '-1', '--delay-us', '1000'], /--queue takes a number/],
    [['--queue', '0', '--delay-us', '0'], /--delay-us takes a number from 1 to 10000000/],
    [['--queue', '0', '--delay-us', '1ms'], /--delay-us takes a number/],
    [['--queue', '0', '--delay-us', '1000', '--jitter', '5'], /unknown or incomplete argument/],
  ] as const) {
    it(`refuses ${JSON.stringify(args)} with exit 2 and one reason`, () => {
      const r = spawnSync(PACKET_DELAY_BIN, args, { encoding: 'utf8', timeout: 5000 });
      assert.equal(r.status, 2);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^hlp-packet-delay: /);
    });
  }
});

const NS = 'hlpdelayt';
const HOST_IF = 'hlpdelayt0';
const INSIDE = '10.233.7.2';
const PORT = 9077;
const DELAY_US = 2000;
const UNAVAILABLE = NOT_BUILT ?? (await netnsUnavailable('hlpdelayprobe'));
if (UNAVAILABLE) process.stderr.write(`packet-delay namespace test skipped: ${UNAVAILABLE}\n`);

/** Connect times (ms) of `count` TCP handshakes to the server in the namespace. */
async function handshakes(count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: INSIDE, port: PORT, timeout: 5000 }, () => {
        times.push(performance.now() - t0);
        s.destroy();
        resolve();
      });
      s.on('timeout', () => reject(new Error('connect timed out')));
      s.on('error', reject);
    });
  }
  return times.sort((a, b) => a - b);
}

function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (p.exitCode !== null ? resolve(p.exitCode) : p.once('exit', (code) => resolve(code))));
}

async function removeNamespace(): Promise<void> {
  await sh('ip', ['netns', 'del', NS], { allowFail: true });
  await sh('ip', ['link', 'del', HOST_IF], { allowFail: true });
}

describe(
  'hlp-packet-delay on a real netfilter queue',
  { skip: UNAVAILABLE ? `needs root, ip netns and iptables: ${UNAVAILABLE}` : false, timeout: 60_000 },
  () => {
    let server: ChildProcess | undefined;
    let delayer: ChildProcess | undefined;
    before(async () => {
      await removeNamespace();
      await sh('ip', ['netns', 'add', NS]);
      await sh('ip', ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS]);
      await sh('ip', ['addr', 'add', '10.233.7.1/24', 'dev', HOST_IF]);
      await sh('ip', ['link', 'set', HOST_IF, 'up']);
      await sh('ip', ['netns', 'exec', NS, 'ip', 'addr', 'add', `${INSIDE}/24`, 'dev', 'eth0']);
      await sh('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'eth0', 'up']);
      const listen = `require('net').createServer((s) => s.on('error', () => {}).end()).listen(${PORT}, '${INSIDE}', () => console.log('listening'))`;
      server = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', listen], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        server!.stdout!.once('data', () => resolve());
        server!.once('exit', (code) => reject(new Error(`server exited ${code}`)));
      });
    });
    after(async () => {
      // A failed check leaves the delayer running; it must not hold the test process open.
      if (delayer && delayer.exitCode === null) delayer.kill('SIGKILL');
      server?.kill('SIGKILL');
      await removeNamespace();
    });

    it('holds every packet of the queue for the delay, both ways, and lets traffic through once stopped', async () => {
      const before = await handshakes(10);
      delayer = spawn('ip', ['netns', 'exec', NS, PACKET_DELAY_BIN, '--queue', '3', '--delay-us', String(DELAY_US)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      const d = delayer;
      d.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const ready = await new Promise<string>((resolve) => d.stdout!.once('data', (c: Buffer) => resolve(c.toString())));
      assert.equal(ready.trim(), `ready queue 3 delay ${DELAY_US} us`);
      for (const [chain, flag] of [
        ['INPUT', '-i'],
        ['OUTPUT', '-o'],
      ]) {
        await sh('ip', ['netns', 'exec', NS, 'iptables', '-w', '-A', chain!, flag!, 'eth0', '-j', 'NFQUEUE', '--queue-num', '3', '--queue-bypass']);
      }
      const delayed = await handshakes(20);
      // Noise only lengthens a handshake: the fastest one still waited for both held packets.
      assert.ok(delayed[0]! >= (2 * DELAY_US) / 1000, `fastest delayed handshake ${delayed[0]!.toFixed(3)} ms, before ${before[0]!.toFixed(3)} ms`);

      d.kill('SIGTERM');
      assert.equal(await exited(d), 0, stderr);
      const summary = /queue 3: (\d+) packets delayed by 2000 us, deepest backlog (\d+)/.exec(stderr);
      assert.ok(summary, stderr);
      // 20 handshakes, each a SYN in, a SYN-ACK out and the ACK and FINs after.
      assert.ok(Number(summary[1]) >= 40, `packets delayed: ${summary[1]}`);
      assert.ok(Number(summary[2]) >= 1);
      // With no reader left, --queue-bypass lets the packets through undelayed.
      const afterStop = await handshakes(5);
      assert.equal(afterStop.length, 5);
    });
  },
);
