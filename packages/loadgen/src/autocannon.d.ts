/** The part of autocannon's API (v8, CommonJS) that the HTTP/1.1 closed-loop driver uses. */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
    }
    interface Client extends EventEmitter {
      on(event: 'request', listener: () => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }
    interface Options {
      url: string;
      connections?: number;
      /** seconds */
      duration?: number;
      /** seconds */
      timeout?: number;
      pipelining?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      requests?: Request[];
      amount?: number;
      setupClient?: (client: Client) => void;
      skipAggregateResult?: boolean;
    }
    interface Instance extends EventEmitter {
      stop(): void;
      on(event: 'response', listener: (client: Client, statusCode: number, resBytes: number, responseTime: number) => void): this;
      on(event: 'reqError', listener: (error: Error) => void): this;
      on(event: 'done', listener: (result: unknown) => void): this;
      on(event: 'error', listener: (error: Error) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }
  }
  function autocannon(options: autocannon.Options, callback?: (error: Error | null, result: unknown) => void): autocannon.Instance;
  export = autocannon;
}
