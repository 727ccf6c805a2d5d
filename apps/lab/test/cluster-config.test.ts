/** hlp cluster without touching the machine: options, topology, generated configs, fault specs, metrics parsing, bad input. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseUpOptions, topology } from '../src/cluster/config.js';
import { ClusterError } from '../src/cluster/errors.js';
import { haproxyConfig, prometheusConfig, scrapeTargets } from '../src/cluster/haproxy.js';
import { parseSamples, sum, uploadsBetween, type HostCounters } from '../src/cluster/metrics.js';
import { parseFaultSpec } from '../src/cluster/run.js';
import { readState } from '../src/cluster/state.js';
import { runHlp, type HlpRun } from './hlp-child.js';

let runsDir: string;

function hlp(args: readonly string[]): Promise<HlpRun> {
  return runHlp(args, { env: { HLP_RUNS_DIR: runsDir, HLP_DEBUG: '' }, timeoutMs: 60_000 });
}

before(async () => {
  runsDir = await mkdtemp(join(tmpdir(), 'hlp-cluster-unit-'));
});
after(async () => {
  await rm(runsDir, { recursive: true, force: true });
});

describe('cluster options and topology', () => {
  it('defaults to 2 + 2 on 10.231.0.0/24 with 1 ms delay', () => {
    const o = parseUpOptions({});
    assert.deepEqual([o.name, o.proxies, o.inference, o.subnet, o.delayMs, o.lossPct], ['hlpc', 2, 2, '10.231.0.0/24', 1, 0]);
    const t = topology(o);
    assert.equal(t.gateway, '10.231.0.1');
    assert.deepEqual(
      t.hosts.map((h) => `${h.id}=${h.netns}@${h.address}:${h.port}`),
      [
        'p1=hlpc-p1@10.231.0.11:8080',
        'p2=hlpc-p2@10.231.0.12:8080',
        'i1=hlpc-i1@10.231.0.21:9090',
        'i2=hlpc-i2@10.231.0.22:9090',
        'r1=hlpc-r1@10.231.0.5:6379',
      ],
    );
    // Interface names must fit IFNAMSIZ (15) with the veth peer's temporary suffix.
    for (const h of topology({ ...o, name: 'hlpabcd', proxies: 8, inference: 8 }).hosts) assert.ok(`${h.netns}n`.length <= 15, h.netns);
  });

  it('refuses bad names, public or malformed subnets and out-of-range counts with the field', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ name: 'cluster' }, /name/],
      [{ name: 'hlp-x' }, /name/],
      [{ subnet: '8.8.8.0/24' }, /subnet/],
      [{ subnet: '10.0.0.0/16' }, /subnet/],
      [{ subnet: '10.300.0.0/24' }, /octet/],
      [{ proxies: 0 }, /proxies/],
      [{ inference: 9 }, /inference/],
      [{ delayMs: -1 }, /delayMs/],
      [{ lossPct: 101 }, /lossPct/],
      [{ bogus: 1 }, /bogus|Unrecognized/i],
    ];
    for (const [raw, re] of bad) {
      assert.throws(
        () => parseUpOptions(raw),
        (e: unknown) => e instanceof ClusterError && e.code === 'BAD_OPTION' && re.test(e.message),
        JSON.stringify(raw),
      );
    }
  });
});

describe('generated configuration', () => {
  const t = topology(parseUpOptions({ proxies: 2, inference: 2 }));
  const cfg = haproxyConfig({ clientPort: 18080, statsPort: 18081, gateway: t.gateway, inferenceLbPort: 9000, socket: '/tmp/x.sock', hosts: t.hosts });

  it('HAProxy: leastconn, /readyz checks on the proxies, retries with redispatch, both frontends where they belong', () => {
    assert.match(cfg, /bind 127\.0\.0\.1:18080\n/);
    assert.match(cfg, /bind 10\.231\.0\.1:9000\n/);
    assert.match(
      cfg,
      /backend proxies\n {2}balance leastconn\n {2}retry-on conn-failure empty-response response-timeout 502 503 504\n {2}option httpchk GET \/readyz/,
    );
    assert.match(cfg, /backend inference\n {2}balance leastconn\n {2}option httpchk GET \/healthz/);
    // One refused connection speeds the checks up; only failed checks take a server out.
    assert.match(cfg, /observe layer4 error-limit 1 on-error fastinter/);
    assert.match(cfg, /timeout check 3s/);
    assert.match(cfg, /retry-on conn-failure empty-response response-timeout/);
    assert.match(cfg, /option redispatch 1/);
    assert.match(cfg, /server p1 10\.231\.0\.11:8080 check/);
    assert.match(cfg, /server i2 10\.231\.0\.22:9090 check/);
    assert.doesNotMatch(cfg, /server r1/);
    assert.match(cfg, /prometheus-exporter/);
  });

  it('Prometheus: file SD with every instance, HAProxy and itself, never Redis', () => {
    assert.match(prometheusConfig('/d/targets.json'), /file_sd_configs:\n {6}- files: \['\/d\/targets\.json'\]/);
    const targets = scrapeTargets('hlpc', t.hosts, '127.0.0.1:18081', '127.0.0.1:19090');
    assert.deepEqual(
      targets.map((g) => `${g.labels['role']}/${g.labels['host']}=${g.targets[0]}`),
      [
        'proxy/p1=10.231.0.11:8080',
        'proxy/p2=10.231.0.12:8080',
        'inference/i1=10.231.0.21:9090',
        'inference/i2=10.231.0.22:9090',
        'haproxy/lb=127.0.0.1:18081',
        'prometheus/lb=127.0.0.1:19090',
      ],
    );
  });
});

describe('fault specs', () => {
  it('parses kind, host, percentage and time', () => {
    assert.deepEqual(parseFaultSpec('kill-proxy@20s'), { kind: 'kill-proxy', atS: 20 });
    assert.deepEqual(parseFaultSpec('kill-inference:i2@7.5'), { kind: 'kill-inference', host: 'i2', atS: 7.5 });
    assert.deepEqual(parseFaultSpec('loss=1@10s'), { kind: 'loss', pct: 1, atS: 10 });
    assert.deepEqual(parseFaultSpec('restart-redis@30s'), { kind: 'restart-redis', atS: 30 });
  });

  it('refuses malformed ones with the expected form', () => {
    for (const bad of ['kill-proxy', 'kill@3s', 'loss@3s', 'kill-proxy=1@3s', 'kill-proxy:i1@3s', 'kill-inference:p1@2s', 'kill-proxy@-1s']) {
      assert.throws(
        () => parseFaultSpec(bad),
        (e: unknown) => e instanceof ClusterError && e.code === 'BAD_OPTION',
        bad,
      );
    }
  });
});

describe('metrics', () => {
  it('parses the wanted samples with labels and sums them', () => {
    const text = [
      '# HELP x',
      'hlp_key_cache_hits_total{level="l1"} 4',
      'hlp_key_cache_hits_total{level="l2"} 1',
      'other_total 9',
      'hlp_key_uploads_total{reason="startup"} 1',
    ].join('\n');
    const s = parseSamples(text, new Set(['hlp_key_cache_hits_total', 'hlp_key_uploads_total']));
    assert.equal(s.length, 3);
    assert.equal(sum(s, 'hlp_key_cache_hits_total'), 5);
    assert.equal(sum(s, 'hlp_key_cache_hits_total', { level: 'l2' }), 1);
  });

  it('counts uploads of a restarted proxy from zero', () => {
    const px = (id: string, pid: number, keyUploads: number | null): HostCounters => ({ id, role: 'proxy', pid, keyUploads, keyHits: null, keyMisses: null });
    assert.equal(uploadsBetween([px('p1', 10, 1), px('p2', 11, 0)], [px('p1', 10, 1), px('p2', 11, 0)]), 0);
    assert.equal(uploadsBetween([px('p1', 10, 1), px('p2', 11, 0)], [px('p1', 12, 1), px('p2', 11, 2)]), 3);
    assert.equal(uploadsBetween([px('p1', 10, 1)], [px('p1', 12, null)]), null);
  });
});

describe('state file and the CLI without a cluster', () => {
  it('a foreign or corrupt state is BAD_STATE; a missing one reads as null', async () => {
    const dir = join(runsDir, 'cluster-hlpz');
    assert.equal(await readState(dir), null);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'state.json'), '{"format":"other"}');
    await assert.rejects(readState(dir), (e: unknown) => e instanceof ClusterError && e.code === 'BAD_STATE');
    await writeFile(join(dir, 'state.json'), '{not json');
    await assert.rejects(readState(dir), (e: unknown) => e instanceof ClusterError && e.code === 'BAD_STATE');
  });

  it('bad input exits 2 with one line, never a stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['cluster', 'up', '--name', 'nope'], /BAD_OPTION: name/],
      [['cluster', 'up', '--subnet', '1.2.3.0/24'], /BAD_OPTION: subnet/],
      [['cluster', 'fault', 'explode', '--name', 'hlpz9'], /unknown fault 'explode'/],
      [['cluster', 'fault', 'loss', 'x', '--name', 'hlpz9'], /not a number/],
      [['cluster', 'status', '--name', 'hlpz9'], /NOT_UP: no cluster 'hlpz9' is up/],
      [['cluster', 'run', '--name', 'hlpz9', '--fault', 'kill-proxy'], /NOT_UP|BAD_OPTION/],
    ];
    for (const [args, re] of cases) {
      const r = await hlp(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});
