import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TargetError, isLoopbackHost, parseTarget } from '@hlp/loadgen';

describe('targets', () => {
  it('accepts loopback only', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['10.0.0.1', '192.168.1.1', '172.16.0.1', '8.8.8.8', 'example.com', '0.0.0.0', '::', 'localhost.example.com'])
      assert.equal(isLoopbackHost(h), false, h);
  });

  it('parses a base URL into the embeddings endpoint', () => {
    const t = parseTarget('http://127.0.0.1:8080');
    assert.deepEqual(t, {
      origin: 'http://127.0.0.1:8080',
      hostname: '127.0.0.1',
      port: 8080,
      path: '/v1/embeddings',
      url: 'http://127.0.0.1:8080/v1/embeddings',
    });
    assert.equal(parseTarget('http://[::1]:9/healthz').hostname, '::1');
    assert.equal(parseTarget('http://[::1]:9/healthz').path, '/healthz');
  });

  it('refuses other hosts, schemes and credentials with a clear error', () => {
    assert.throws(
      () => parseTarget('http://10.1.2.3:80'),
      (e: unknown) => e instanceof TargetError && /loopback/.test(e.message),
    );
    assert.throws(() => parseTarget('https://127.0.0.1'), TargetError);
    assert.throws(() => parseTarget('http://u:p@127.0.0.1'), TargetError);
    assert.throws(() => parseTarget('not a url'), TargetError);
  });
});
