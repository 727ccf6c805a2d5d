/**
 * `hlp-proxy --workers N`: the cluster primary prepares one key set for every worker before
 * forking them, so that they all encrypt under the same keys and the inference service caches
 * one set (not N): it reads the service's parameters, loads the key file or generates it
 * (`--key-file`, else a private temporary one removed at exit), uploads the keys unless the
 * service already has them, and hands the file to the workers (HLP_PROXY_KEY_FILE). Each
 * worker then loads that file and finds the keys already known upstream.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseParams } from '@hlp/ckks';
import { FRAME_CONTENT_TYPE, KeyUploadResponse, ProtocolError, ServiceInfo, encodeFrames, peerErrorCode } from '@hlp/protocol';
import { createBackend } from './backend.js';
import { provisionKeys, uploadSet, type KeyNeeds } from './keys.js';
import type { LogFn } from '@hlp/service-runtime';
import type { ProxyConfig } from './server.js';
import { Upstream } from './upstream.js';

export const KEY_FILE_ENV = 'HLP_PROXY_KEY_FILE';

export interface SharedKeys {
  readonly keyFile: string;
  readonly keyId: string;
  /** Remove the key file when it was a temporary one. */
  cleanup(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

async function callJson(up: Upstream, path: string, body?: Buffer): Promise<{ status: number; json: unknown }> {
  const r = await up.call(path, { ...(body ? { body: [body], contentType: FRAME_CONTENT_TYPE } : {}), bypassBreaker: true });
  try {
    return { status: r.status, json: JSON.parse(r.body.toString('utf8')) as unknown };
  } catch {
    throw new ProtocolError('UPSTREAM_ERROR', `${path} answered ${r.status} with a body that is not JSON`);
  }
}

/** Make sure the key file exists and the service holds its public and evaluation keys. */
export async function prepareSharedKeys(config: ProxyConfig, log: LogFn, stopped: () => boolean): Promise<SharedKeys> {
  let tempDir: string | undefined;
  const keyFile = config.keyFile ?? join((tempDir = await mkdtemp(join(tmpdir(), 'hlp-proxy-keys-'))), 'keys.hlp');
  const cleanup = async (): Promise<void> => {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
  const up = new Upstream(config.upstream, {
    ...(config.token ? { token: config.token } : {}),
    ...(config.upstreamCa ? { ca: config.upstreamCa } : {}),
  });
  try {
    let info: ServiceInfo | undefined;
    for (let delay = 100; !info; delay = Math.min(delay * 2, 2000)) {
      if (stopped()) throw new Error('stopped before the inference service answered');
      try {
        const r = await callJson(up, '/v1/info');
        if (r.status === 401) throw new ProtocolError('UNAUTHORIZED', '/v1/info answered 401: wrong service token');
        if (r.status !== 200) throw new ProtocolError('UPSTREAM_ERROR', `/v1/info answered ${r.status}`);
        info = ServiceInfo.parse(r.json);
      } catch (e) {
        if (e instanceof ProtocolError && e.code === 'UNAUTHORIZED') throw e;
        log('warn', 'inference service not reachable yet; retrying', { upstream: config.upstream, error: (e as Error).message, retryInMs: delay });
        await sleep(delay);
      }
    }
    const b = await createBackend(config.backend ?? 'native', parseParams(info.params));
    try {
      const needs: KeyNeeds = {
        relin: info.workloads.some((w) => w.needsRelin),
        galoisSteps: [...new Set(info.workloads.flatMap((w) => w.rotationSteps))],
      };
      const loaded = await provisionKeys(b.backend, needs, keyFile);
      const set = uploadSet(b.backend, needs, loaded.galoisSteps);
      const known = await callJson(up, `/v1/keys/${set.keyId}`);
      if (known.status !== 200) {
        const body = encodeFrames({ params: info.params, keys: set.kinds, galoisSteps: [...set.galoisSteps] }, set.frames);
        const r = await callJson(up, '/v1/keys', body);
        if (r.status !== 200 && r.status !== 201) throw new ProtocolError('UPSTREAM_ERROR', `key upload refused (${peerErrorCode(r.json) ?? r.status})`);
        if (KeyUploadResponse.parse(r.json).keyId !== set.keyId) throw new ProtocolError('UPSTREAM_ERROR', 'the service computed another key id');
      }
      log('info', loaded.fromFile ? 'cluster key file loaded' : 'cluster key file generated', {
        keyId: set.keyId,
        uploaded: known.status !== 200,
        temporary: tempDir !== undefined,
      });
      return { keyFile, keyId: set.keyId, cleanup };
    } finally {
      b.backend.dispose();
    }
  } catch (e) {
    await cleanup();
    throw e;
  } finally {
    up.close();
  }
}
