import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError, parseProxyArgs } from '../src/index.js';
import { encryptionOf } from '../src/config.js';

const BASE = ['--upstream', 'http://127.0.0.1:8081'];

describe('hlp-proxy arguments', () => {
  it('--worker-nice: an integer in [0, 19], absent means the default', () => {
    assert.equal(parseProxyArgs([...BASE, '--worker-nice', '0'], {})?.workerNice, 0);
    assert.equal(parseProxyArgs([...BASE, '--worker-nice', '19'], {})?.workerNice, 19);
    assert.equal(parseProxyArgs(BASE, {})?.workerNice, undefined);
    for (const bad of ['-1', '20', '2.5', 'high', '']) {
      assert.throws(
        () => parseProxyArgs([...BASE, '--worker-nice', bad], {}),
        (e: unknown) => e instanceof UsageError && /--worker-nice/.test(e.message),
        bad,
      );
    }
  });

  it('--encryption: symmetric or public, absent leaves the choice to encryptionOf (seeded secret key, public where batches run on a GPU)', () => {
    assert.equal(parseProxyArgs([...BASE, '--encryption', 'public'], {})?.encryption, 'public');
    assert.equal(parseProxyArgs([...BASE, '--encryption', 'symmetric'], {})?.encryption, 'symmetric');
    const absent = parseProxyArgs(BASE, {});
    assert.ok(absent);
    assert.equal(absent.encryption, undefined);
    assert.equal(encryptionOf(absent, 'cpu'), 'symmetric');
    assert.equal(encryptionOf(absent, 'cuda'), 'public');
    assert.equal(encryptionOf({ ...absent, encryption: 'symmetric' }, 'cuda'), 'symmetric');
    assert.equal(encryptionOf({ ...absent, encryption: 'public' }, 'cpu'), 'public');
    for (const bad of ['aes', 'PUBLIC', '']) {
      assert.throws(
        () => parseProxyArgs([...BASE, '--encryption', bad], {}),
        (e: unknown) => e instanceof UsageError && /--encryption/.test(e.message),
        bad,
      );
    }
  });

  it('--no-embed-thread: the dense path embeds on the event loop; absent leaves the thread on', () => {
    assert.equal(parseProxyArgs([...BASE, '--no-embed-thread'], {})?.embedThread, false);
    assert.equal(parseProxyArgs(BASE, {})?.embedThread, undefined);
  });

  it('--upstream-thread: the upstream client runs on a thread of its own; absent leaves it on the event loop', () => {
    assert.equal(parseProxyArgs([...BASE, '--upstream-thread'], {})?.upstreamThread, true);
    assert.equal(parseProxyArgs(BASE, {})?.upstreamThread, undefined);
  });
});
