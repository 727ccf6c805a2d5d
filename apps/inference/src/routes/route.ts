/** What every route module of the inference service exports, and what its handler is given. */
import type { IncomingHttpHeaders } from 'node:http';
import type { LogFn, Req, Res } from '@hlp/service-runtime';
import type { AppRegistry } from '@hlp/telemetry';
import type { InferenceService } from '../service.js';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What the app is built from (app.ts). */
export interface AppDependencies {
  readonly service: InferenceService;
  readonly telemetry: AppRegistry<'inference'>;
  /** Service-to-service bearer token; without one, /v1 routes are not authenticated. */
  readonly token: string | undefined;
  readonly log: LogFn;
  /** Where GET /metrics text comes from (default the telemetry's registry; a cluster worker asks the primary). */
  readonly metricsSource?: () => Promise<{ text: string; contentType: string }>;
  /** Test hook: every request as received. */
  readonly onRequest?: (request: RecordedRequest) => void;
}

export interface RouteContext {
  readonly req: Req;
  readonly res: Res;
  readonly method: string;
  readonly path: string;
  readonly app: AppDependencies;
}

export interface Route {
  /** The route's pattern, also the `route` label of the request metrics. */
  readonly pattern: string;
  /** The method it takes; undefined: any (the probes answer whatever asks). */
  readonly method?: 'GET' | 'POST';
  /** Whether the service token is checked (every /v1 route). */
  readonly authenticated: boolean;
  handle(context: RouteContext): void | Promise<void>;
}

/** Hands a request without a body to the test hook. */
export function recordBodiless({ req, method, path, app }: RouteContext): void {
  app.onRequest?.({ method, path, headers: req.headers, body: Buffer.alloc(0) });
}
