/** The request, response and handler types every module of the server shares (both protocols). */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type * as http2 from 'node:http2';

/** A request of either protocol. */
export type Req = IncomingMessage | http2.Http2ServerRequest;

/** What both ServerResponse and Http2ServerResponse offer (the part the apps use). */
export interface Res {
  /** The request answered (both ServerResponse and Http2ServerResponse have it; test doubles may not). */
  readonly req?: Req;
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): unknown;
  write(chunk: Uint8Array | string): boolean;
  end(chunk?: Uint8Array | string): unknown;
  once(event: 'finish' | 'close', listener: () => void): unknown;
  once(event: 'drain', listener: () => void): unknown;
}

export type Handler = (req: Req, res: Res) => void | Promise<void>;
