/** What every route handler is given: the request, its response, and the app's shared parts. */
import type { CompressionOptions, Req, Res } from '@hlp/service-runtime';
import type { ProxyApp } from '../app.js';

export interface RouteContext {
  readonly req: Req;
  readonly res: Res;
  readonly path: string;
  readonly method: string;
  /** The route's pattern (`/v1/models/:id`), as metrics label it. */
  readonly route: string;
  /** Compression for JSON answers; undefined when it is off (--compress-min-bytes 0). */
  readonly zip: CompressionOptions | undefined;
  /** @throws ProtocolError METHOD_NOT_ALLOWED */
  readonly expect: (allowed: string) => void;
  /**
   * Counts the request against `maxInFlight` until it is answered.
   * @throws ProtocolError QUEUE_FULL when as many are in flight already
   */
  readonly admit: () => void;
}

export type RouteHandler = (app: ProxyApp, ctx: RouteContext) => void | Promise<void>;
