/**
 * The key cache's lower levels against real processes: Debian's redis-server (L2) on a free
 * loopback port and the service binary, stopped and started again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSealBackend, presetParams, type CkksBackend } from '@hlp/ckks';
import { KeyUploadResponse } from '@hlp/protocol';
import { CorruptEntry, decodeKeySet, encodeKeySet, validateUpload } from '../src/index.js';
import { TOKEN, call, embedPrompt, encryptPacked, errorCode, evaluateBody, keyUploadBody } from './helpers.js';
import { INFERENCE_BIN, redisCommand, startProcess, startRedis, type RedisProcess, type ServiceProcess } from './procs.js';

let dir: string;
let be: CkksBackend;
let redis: RedisProcess | undefined;
const running: ServiceProcess[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlp-keycache-'));
  be = await createSealBackend(presetParams(8192));
  be.generateKeys({});
  redis = await startRedis();
});

after(async () => {
  for (const p of running) await p.stop('SIGKILL');
  await redis?.stop();
  be?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function service(args: readonly string[]): Promise<ServiceProcess> {
  const p = await startProcess(INFERENCE_BIN, ['--port', '0', '--workloads', 'affine', ...args], { HLP_SERVICE_TOKEN: TOKEN });
  running.push(p);
  return p;
}

async function stop(p: ServiceProcess): Promise<void> {
  assert.equal(await p.stop('SIGTERM'), 0, 'SIGTERM exits 0');
  running.splice(running.indexOf(p), 1);
}

async function upload(url: string): Promise<{ status: number; keyId: string }> {
  const r = await call(url, '/v1/keys', { body: keyUploadBody(be, ['public']) });
  return { status: r.status, keyId: KeyUploadResponse.parse(r.json).keyId };
}

async function evaluate(url: string, keyId: string): Promise<{ status: number; code: string | undefined }> {
  const { values, tokens } = embedPrompt('cached keys');
  const { plan, frames } = encryptPacked(be, values, tokens, 'blocked');
  const r = await call(url, '/v1/evaluate', { body: evaluateBody(be, keyId, 'affine', plan, frames) });
  return { status: r.status, code: errorCode(r) };
}

async function metric(url: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('stored key sets are checked on the way back in', () => {
  it('a stored set decodes to itself; any corrupted byte, a wrong id or a truncation is a CorruptEntry', () => {
    const params = presetParams(8192);
    const v = validateUpload(['public'], [be.exportKey('public')], params);
    const set = { id: v.id, keys: v.keys, hashes: v.hashes, bytes: v.bytes, galoisSteps: undefined };
    const bytes = Buffer.concat(encodeKeySet(set));
    const back = decodeKeySet(bytes, v.id, params);
    assert.equal(back.id, v.id);
    assert.deepEqual(back.hashes, v.hashes);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1000] = flipped[flipped.length - 1000]! ^ 0x40;
    assert.throws(
      () => decodeKeySet(flipped, v.id, params),
      (e: unknown) => e instanceof CorruptEntry && /checksum|validate/.test(e.message),
    );
    assert.throws(() => decodeKeySet(bytes, 'f'.repeat(64), params), CorruptEntry);
    assert.throws(() => decodeKeySet(bytes.subarray(0, bytes.length - 10), v.id, params), CorruptEntry);
    assert.throws(() => decodeKeySet(Buffer.from('garbage'), v.id, params), CorruptEntry);
  });
});

describe('L2 (Redis) and L3 (disk) across instances and restarts', { timeout: 120_000 }, () => {
  it('two instances share one Redis: a key set uploaded to one is served by the other with no upload', async (t) => {
    if (!redis) return t.skip('redis-server is not installed (scripts/setup-system.sh installs it)');
    const a = await service(['--redis', redis.url, '--key-cache-dir', join(dir, 'a')]);
    const b = await service(['--redis', redis.url, '--key-cache-dir', join(dir, 'b')]);
    const up = await upload(a.url);
    assert.equal(up.status, 201);
    assert.match(await redisCommand(redis.port, 'EXISTS', `hlp:keyset:${up.keyId}`), /^:1/);
    const r = await evaluate(b.url, up.keyId);
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.equal(await metric(b.url, /hlp_key_cache_hits_total\{level="l2"\} (\d+)/), 1);
    assert.equal(await metric(b.url, /hlp_key_cache_misses_total\{level="l1"\} (\d+)/), 1);
    assert.equal(
      await metric(b.url, /hlp_http_request_duration_seconds_count\{route="\/v1\/keys",method="POST",status="\d+"\} (\d+)/),
      0,
      'b received no upload',
    );
    // A second evaluation on b is an L1 hit; b wrote the set to its own L3 meanwhile.
    assert.equal((await evaluate(b.url, up.keyId)).status, 200);
    assert.equal(await metric(b.url, /hlp_key_cache_hits_total\{level="l1"\} (\d+)/), 1);
    await stop(a);
    await stop(b);
    assert.deepEqual(await readdir(join(dir, 'b')), [`${up.keyId}.hlpkeys`]);
    assert.equal((await stat(join(dir, 'b', `${up.keyId}.hlpkeys`))).mode & 0o777, 0o600);
  });

  it('after a restart the keys come back from L2, or from L3 when Redis lost them; a corrupt L3 file is ignored, logged and replaced', async (t) => {
    if (!redis) return t.skip('redis-server is not installed (scripts/setup-system.sh installs it)');
    const l3 = join(dir, 'restart');
    const first = await service(['--redis', redis.url, '--key-cache-dir', l3]);
    const { keyId } = await upload(first.url);
    await stop(first);

    // Restart with Redis: L2.
    const second = await service(['--redis', redis.url, '--key-cache-dir', join(dir, 'empty')]);
    assert.equal((await evaluate(second.url, keyId)).status, 200);
    assert.equal(await metric(second.url, /hlp_key_cache_hits_total\{level="l2"\} (\d+)/), 1);
    await stop(second);

    // Redis forgets everything; restart with the first instance's directory: L3, written back to L2.
    assert.match(await redisCommand(redis.port, 'FLUSHALL'), /^\+OK/);
    const third = await service(['--redis', redis.url, '--key-cache-dir', l3]);
    assert.equal((await evaluate(third.url, keyId)).status, 200);
    assert.equal(await metric(third.url, /hlp_key_cache_misses_total\{level="l2"\} (\d+)/), 1);
    assert.equal(await metric(third.url, /hlp_key_cache_hits_total\{level="l3"\} (\d+)/), 1);
    for (let i = 0; i < 50 && !/^:1/.test(await redisCommand(redis.port, 'EXISTS', `hlp:keyset:${keyId}`)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(await redisCommand(redis.port, 'EXISTS', `hlp:keyset:${keyId}`), /^:1/, 'written back to L2');
    await stop(third);

    // Corrupt the file, empty Redis: the set is unknown (the proxy would upload it again), the
    // file is logged and removed, and the next upload writes a good one.
    const file = join(l3, `${keyId}.hlpkeys`);
    const bytes = await readFile(file);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    await writeFile(file, bytes);
    assert.match(await redisCommand(redis.port, 'FLUSHALL'), /^\+OK/);
    const fourth = await service(['--redis', redis.url, '--key-cache-dir', l3]);
    const miss = await evaluate(fourth.url, keyId);
    assert.equal(miss.status, 404);
    assert.equal(miss.code, 'UNKNOWN_KEY');
    assert.match(fourth.stderr(), /corrupt L3 file ignored/);
    await assert.rejects(stat(file), /ENOENT/);
    assert.equal((await upload(fourth.url)).status, 201);
    assert.ok((await stat(file)).size > 500_000);
    assert.equal((await evaluate(fourth.url, keyId)).status, 200);
    await stop(fourth);

    // Without Redis at all (L3 only) the file alone brings the keys back.
    const fifth = await service(['--key-cache-dir', l3]);
    assert.equal((await evaluate(fifth.url, keyId)).status, 200);
    assert.equal(await metric(fifth.url, /hlp_key_cache_hits_total\{level="l3"\} (\d+)/), 1);
    await stop(fifth);
  });

  it('Redis going away makes L2 miss (the service keeps serving from L1/L3)', async (t) => {
    if (!redis) return t.skip('redis-server is not installed (scripts/setup-system.sh installs it)');
    const own = await startRedis();
    assert.ok(own);
    const s = await service(['--redis', own.url, '--key-cache-dir', join(dir, 'gone')]);
    await own.stop();
    const { status, keyId } = await upload(s.url);
    assert.equal(status, 201);
    assert.equal((await evaluate(s.url, keyId)).status, 200);
    assert.equal((await call(s.url, `/v1/keys/${keyId}`)).status, 200);
    assert.equal((await call(s.url, `/v1/keys/${'0'.repeat(64)}`)).status, 404);
    await stop(s);
  });
});
