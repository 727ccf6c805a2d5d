/**
 * Slow and idle connections: sockets that open and then send too little, too slowly or nothing,
 * the way a client holding server resources without ever finishing a request does. The server
 * must close each within its header timeout (10 s; ≤ 15 s counts as on time), or its body
 * timeout (30 s) for a body that stalls after complete headers.
 */
import { connect, type Socket } from 'node:net';

export const SLOW_KINDS = ['silent', 'partial-headers', 'dripped-headers', 'partial-h2-preface', 'h2-no-stream', 'stalled-body'] as const;
export type SlowKind = (typeof SLOW_KINDS)[number];

/** The bound each kind must be closed within, ms. */
export const CLOSE_BOUND_MS: Readonly<Record<SlowKind, number>> = {
  silent: 15_000,
  'partial-headers': 15_000,
  'dripped-headers': 15_000,
  'partial-h2-preface': 15_000,
  'h2-no-stream': 15_000,
  'stalled-body': 35_000,
};

const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
/** An empty SETTINGS frame: length 0, type 4, flags 0, stream 0. */
const H2_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

export interface SlowConnection {
  readonly kind: SlowKind;
  /** ms from connect to the server's close; null while open. */
  closedAfterMs(): number | null;
  destroy(): void;
}

/** Opens one slow connection of `kind` to host:port. */
export function openSlow(host: string, port: number, kind: SlowKind): SlowConnection {
  const socket: Socket = connect({ host, port });
  const t0 = performance.now();
  let closedAt: number | null = null;
  let drip: NodeJS.Timeout | undefined;
  socket.on('error', () => {});
  socket.on('data', () => {}); // a 408/400 the server may send before closing
  socket.on('close', () => {
    closedAt ??= performance.now();
    clearInterval(drip);
  });
  socket.on('connect', () => {
    switch (kind) {
      case 'silent':
        break;
      case 'partial-headers':
        socket.write('POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n');
        break;
      case 'dripped-headers': {
        const text = `GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(4096)}`;
        let at = 0;
        drip = setInterval(() => {
          if (at < text.length && !socket.destroyed) socket.write(text[at++]!);
        }, 2_000);
        break;
      }
      case 'partial-h2-preface':
        socket.write(H2_PREFACE.slice(0, 10));
        break;
      case 'h2-no-stream':
        socket.write(Buffer.concat([Buffer.from(H2_PREFACE), H2_SETTINGS]));
        break;
      case 'stalled-body':
        socket.write('POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":"');
        break;
    }
  });
  return {
    kind,
    closedAfterMs: () => (closedAt === null ? null : closedAt - t0),
    destroy: () => {
      clearInterval(drip);
      socket.destroy();
    },
  };
}

export interface SlowOutcome {
  readonly kind: SlowKind;
  readonly opened: number;
  /** Closed by the server within the kind's bound. */
  readonly closedInTime: number;
  readonly maxCloseMs: number | null;
  /** Still open at the bound (or closed after it). */
  readonly late: number;
}

/**
 * Opens `count` slow connections, the kinds in turn, and waits until each is closed or its
 * bound (plus a second) has passed; `onTick` reports the seconds waited.
 */
export async function slowConnections(host: string, port: number, count: number, onTick?: (seconds: number, open: number) => void): Promise<SlowOutcome[]> {
  const conns = Array.from({ length: count }, (_, i) => openSlow(host, port, SLOW_KINDS[i % SLOW_KINDS.length]!));
  const t0 = performance.now();
  const deadline = Math.max(...conns.map((c) => CLOSE_BOUND_MS[c.kind])) + 1_000;
  while (performance.now() - t0 < deadline && conns.some((c) => c.closedAfterMs() === null)) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    onTick?.((performance.now() - t0) / 1000, conns.filter((c) => c.closedAfterMs() === null).length);
  }
  const out = SLOW_KINDS.map((kind) => {
    const mine = conns.filter((c) => c.kind === kind);
    const times = mine.map((c) => c.closedAfterMs());
    const inTime = times.filter((t): t is number => t !== null && t <= CLOSE_BOUND_MS[kind]);
    const closed = times.filter((t): t is number => t !== null);
    return {
      kind,
      opened: mine.length,
      closedInTime: inTime.length,
      maxCloseMs: closed.length > 0 ? Math.max(...closed) : null,
      late: mine.length - inTime.length,
    };
  }).filter((o) => o.opened > 0);
  conns.forEach((c) => c.destroy());
  return out;
}

/** Keeps `count` slow connections open (opening a new one whenever the server closes one) until stopped. */
export function holdSlow(host: string, port: number, count: number): { stop(): void; opened(): number } {
  let opened = 0;
  const conns: SlowConnection[] = [];
  const open = (i: number): SlowConnection => {
    opened++;
    return openSlow(host, port, SLOW_KINDS[i % SLOW_KINDS.length]!);
  };
  for (let i = 0; i < count; i++) conns.push(open(i));
  const timer = setInterval(() => {
    for (let i = 0; i < conns.length; i++) if (conns[i]!.closedAfterMs() !== null) conns[i] = open(i);
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      conns.forEach((c) => c.destroy());
    },
    opened: () => opened,
  };
}
