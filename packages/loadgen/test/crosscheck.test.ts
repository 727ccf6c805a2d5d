import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseH2load, parseWrk, startChildStub, wrkScript } from '@hlp/loadgen';

const WRK = `Running 1s test @ http://127.0.0.1:39829/v1/embeddings
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.93ms    3.60ms  28.02ms   88.99%
    Req/Sec   602.30    117.75   760.00     70.00%
  613 requests in 1.02s, 186.77KB read
Requests/sec:    600.13
Transfer/sec:    182.85KB
`;
const WRK_ERRORS = `  12021 requests in 1.01s, 2.92MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 6000
Requests/sec:  11957.79
`;
const H2LOAD = `finished in 4.04s, 7637.00 req/s, 1.39MB/s
requests: 22911 total, 22911 started, 22911 done, 22911 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 22911 2xx, 0 3xx, 0 4xx, 0 5xx
`;

describe('cross-check plumbing', () => {
  it("reads wrk's summary (rate over its exact run time, 2xx share)", () => {
    const r = parseWrk(WRK);
    assert.equal(r.requests, 613);
    assert.equal(r.rps, 600.13);
    assert.equal(r.non2xx, 0);
    const e = parseWrk(WRK_ERRORS);
    assert.equal(e.socketErrors, 5);
    assert.equal(e.non2xx, 6000);
    assert.ok(Math.abs(e.rps - (11957.79 * 6021) / 12021) < 1e-6);
    assert.throws(() => parseWrk('nothing here'), /cannot read wrk/);
  });

  it("reads h2load's summary (rate over the main duration, not the warm-up)", () => {
    const r = parseH2load(H2LOAD);
    assert.equal(r.rps, 7637);
    assert.equal(r.ok, 22911);
    assert.throws(() => parseH2load('finished'), /cannot read h2load/);
  });

  it('writes a wrk Lua script that POSTs the body file with the headers', () => {
    const s = wrkScript('/tmp/x y/body.json', { 'content-type': 'application/json', authorization: 'Bearer "t"' });
    assert.match(s, /io\.open\("\/tmp\/x y\/body\.json", "rb"\)/);
    assert.match(s, /wrk\.method = "POST"/);
    assert.match(s, /wrk\.headers\["content-type"\] = "application\/json"/);
    assert.match(s, /wrk\.headers\["authorization"\] = "Bearer \\"t\\""/);
  });

  it('starts the fixed-cost stub in its own process and stops it', async () => {
    const stub = await startChildStub(5);
    try {
      assert.notEqual(stub.pid, process.pid);
      const res = await fetch(stub.target.url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { object: string }).object, 'list');
    } finally {
      await stub.stop();
    }
    await assert.rejects(fetch(stub.target.url, { method: 'POST', body: '{}' }));
  });
});
