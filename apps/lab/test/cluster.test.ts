/**
 * hlp cluster on this machine for real: namespaces, bridge, HAProxy, Redis, Prometheus, two
 * proxies and two inference services; requests through the load balancer (HTTP/1.1 and h2c);
 * the link delay in force (a handshake with an inference host takes both held packets); one key
 * upload in total with the other inference instance served from Redis; a proxy killed
 * with -9 under traffic and no request failing; a second `up` over a run left standing (as after
 * a crash) removing it; `down` leaving nothing. Needs root and `ip netns`; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as h2connect } from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAlive, pidsMentioning } from '@hlp/procs';
import { listLinks, listNamespaces, netnsUnavailable } from '../src/cluster/network.js';
import { nfqueueUnavailable } from '../src/cluster/shaping.js';
import { sh } from '../src/cluster/sh.js';
import { ClusterState } from '../src/cluster/state.js';
import { runHlp, type HlpRun } from './hlp-child.js';

const NAME = 'hlpt';
const SUBNET = '10.232.0.0/24';
const UNAVAILABLE = await netnsUnavailable('hlptprobe');
if (UNAVAILABLE) process.stderr.write(`cluster integration test skipped: ${UNAVAILABLE}\n`);
const SKIP = UNAVAILABLE ? `needs root and ip netns: ${UNAVAILABLE}` : false;

let runsDir: string;

function hlp(args: readonly string[]): Promise<HlpRun> {
  return runHlp(args, { env: { HLP_RUNS_DIR: runsDir, HLP_DEBUG: '1' }, timeoutMs: 80_000 });
}

async function state(): Promise<ClusterState> {
  return ClusterState.parse(JSON.parse(await readFile(join(runsDir, `cluster-${NAME}`, 'state.json'), 'utf8')));
}

const BODY = JSON.stringify({ model: 'hlp-affine', input: 'The quick brown fox jumps over the lazy dog' });

async function embed(url: string): Promise<number> {
  try {
    const res = await fetch(`${url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
      signal: AbortSignal.timeout(20_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

function embedH2c(url: string): Promise<number> {
  return new Promise((resolve) => {
    const session = h2connect(url);
    session.on('error', () => resolve(0));
    const req = session.request({ ':method': 'POST', ':path': '/v1/embeddings', 'content-type': 'application/json' });
    req.on('response', (h) => {
      req.resume();
      req.on('end', () => {
        session.close();
        resolve(Number(h[':status']));
      });
    });
    req.on('error', () => resolve(0));
    req.end(BODY);
  });
}

/** The fastest of `count` TCP handshakes with host:port, in ms. */
async function fastestHandshake(host: string, port: number, count: number): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const sock = tcpConnect({ host, port, timeout: 5000 }, () => {
        best = Math.min(best, performance.now() - t0);
        sock.destroy();
        resolve();
      });
      sock.on('timeout', () => reject(new Error(`connect to ${host}:${port} timed out`)));
      sock.on('error', reject);
    });
  }
  return best;
}

async function metric(url: string, name: string, level?: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && (level === undefined || l.includes(`level="${level}"`)))
    .reduce((a, l) => a + Number(l.split(' ').pop()), 0);
}

describe('hlp cluster (namespaces, HAProxy, Redis, Prometheus)', { skip: SKIP, timeout: 90_000 }, () => {
  before(async () => {
    runsDir = await mkdtemp(join(tmpdir(), 'hlp-cluster-'));
    // Leftovers of a crashed run: a namespace and a link named after the cluster.
    await sh('ip', ['netns', 'add', `${NAME}-p9`], { allowFail: true });
    await sh('ip', ['link', 'add', `${NAME}-zz`, 'type', 'veth', 'peer', 'name', `${NAME}-zy`], { allowFail: true });
  });
  after(async () => {
    await hlp(['cluster', 'down', '--name', NAME]);
    await rm(runsDir, { recursive: true, force: true });
  });

  it('comes up, serves through HAProxy, uploads the keys once, survives kill -9 of a proxy, and is removed by the next up and by down', async () => {
    const upRun = await hlp(['cluster', 'up', '--name', NAME, '--subnet', SUBNET, '--proxies', '2', '--inference', '2', '--start-timeout', '60']);
    assert.equal(upRun.code, 0, upRun.stderr);
    assert.match(upRun.stderr, /removed leftovers of an earlier run: .*namespaces hlpt-p9.*links hlpt-z[yz]/);
    const s = await state();
    assert.equal(s.phase, 'up');
    assert.deepEqual((await listNamespaces(NAME)).sort(), ['hlpt-i1', 'hlpt-i2', 'hlpt-p1', 'hlpt-p2', 'hlpt-r1']);
    const lb = s.haproxy!.clientUrl;

    // The default 1 ms each way on the inference links: netem where the kernel has it, else a
    // netfilter queue held by hlp-packet-delay; a handshake with an inference host waits for both.
    const noDelay = s.shaping!.netem === true ? null : nfqueueUnavailable();
    if (noDelay) process.stderr.write(`cluster test: link delay not checked: ${noDelay}\n`);
    else {
      assert.equal(s.shaping!.delayApplied, true, s.shaping!.note ?? '');
      assert.equal(s.shaping!.delayers.length, s.shaping!.delayVia === 'nfqueue' ? 2 : 0);
      const i1 = s.hosts.find((h) => h.id === 'i1')!;
      const fastest = await fastestHandshake(i1.address, i1.port, 10);
      assert.ok(fastest >= 2, `fastest handshake with i1 ${fastest.toFixed(3)} ms, under the 2 × 1 ms delay`);
    }

    // HTTP/1.1 and h2c through the load balancer; leastconn spreads sequential requests over both proxies.
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push(await embed(lb));
    statuses.push(await embedH2c(lb), await embedH2c(lb));
    assert.deepEqual(statuses, Array(10).fill(200));

    // One key set, uploaded once in all; the inference instance that did not receive it found it in Redis (L2).
    const proxies = s.hosts.filter((h) => h.role === 'proxy');
    const inference = s.hosts.filter((h) => h.role === 'inference');
    const uploads = await Promise.all(proxies.map((h) => metric(`http://${h.address}:${h.port}`, 'hlp_key_uploads_total')));
    assert.equal(
      uploads.reduce((a, b) => a + b, 0),
      1,
      `uploads per proxy ${uploads.join(',')}`,
    );
    const l2 = await Promise.all(inference.map((h) => metric(`http://${h.address}:${h.port}`, 'hlp_key_cache_hits_total', 'l2')));
    const served = await Promise.all(inference.map((h) => metric(`http://${h.address}:${h.port}`, 'hlp_key_cache_hits_total')));
    assert.ok(
      served.every((n) => n > 0),
      `both inference instances served: hits ${served.join(',')}`,
    );
    assert.ok(
      l2.some((n) => n >= 1),
      `an L2 (Redis) hit on one instance: ${l2.join(',')}`,
    );

    // Prometheus scrapes every instance found through the file written by up.
    const deadline = Date.now() + 15_000;
    let up = 0;
    while (Date.now() < deadline && up < 6) {
      const t = (await (await fetch(`${s.prometheus!.url}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string }[] } };
      up = t.data.activeTargets.filter((x) => x.health === 'up').length;
      if (up < 6) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(up, 6, 'proxies, inference services, HAProxy and Prometheus scraped');

    // kill -9 of a proxy while requests flow: every request still answered 200.
    const traffic = Array.from({ length: 40 }, (_, i) => new Promise<void>((r) => setTimeout(r, i * 50)).then(() => embed(lb)));
    await new Promise((r) => setTimeout(r, 400));
    const fault = await hlp(['cluster', 'fault', 'kill-proxy', '--name', NAME, '--host', 'p1', '--restart-after', '0.5']);
    assert.equal(fault.code, 0, fault.stderr);
    assert.match(fault.stdout, /SIGKILL proxy p1; ready again/);
    const under = await Promise.all(traffic);
    assert.deepEqual(
      under.filter((x) => x !== 200),
      [],
      'no request failed across the kill',
    );
    assert.ok(!isAlive(s.hosts.find((h) => h.id === 'p1')!.proc!), 'the first p1 is gone');
    const afterFault = await state();
    assert.equal(afterFault.hosts.find((h) => h.id === 'p1')!.restarts, 1);
    assert.equal(await embed(lb), 200);

    // A second up over a cluster left running (as a crashed run leaves it) removes it first.
    const old = afterFault;
    const again = await hlp([
      'cluster',
      'up',
      '--name',
      NAME,
      '--subnet',
      SUBNET,
      '--proxies',
      '1',
      '--inference',
      '1',
      '--no-prometheus',
      '--start-timeout',
      '60',
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /removed leftovers of an earlier run: \d+ process\(es\) of the previous run/);
    for (const p of [...old.hosts.map((h) => h.proc), ...old.shaping!.delayers.map((d) => d.proc), old.haproxy!.proc, old.prometheus!.proc])
      assert.ok(p && !isAlive(p), `old pid ${p?.pid} gone`);
    assert.deepEqual((await listNamespaces(NAME)).sort(), ['hlpt-i1', 'hlpt-p1', 'hlpt-r1']);
    assert.equal(await embed((await state()).haproxy!.clientUrl), 200);

    // down: no namespace, link or process of the cluster is left.
    const last = await state();
    const down = await hlp(['cluster', 'down', '--name', NAME]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await listNamespaces(NAME), []);
    assert.deepEqual(await listLinks(NAME), []);
    assert.deepEqual(pidsMentioning(`${last.dir}/`), []);
    for (const p of [...last.hosts.map((h) => h.proc), ...last.shaping!.delayers.map((d) => d.proc), last.haproxy!.proc])
      assert.ok(p && !isAlive(p), `pid ${p?.pid} gone`);
  });
});
