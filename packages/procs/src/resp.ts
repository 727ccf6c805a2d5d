/** One Redis command without redis-cli: RESP over a fresh loopback connection. */
import { connect } from 'node:net';

/** Sends one command and resolves with the raw reply (a single-line reply: status, error or integer). */
export function redisCommand(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (c: Buffer) => {
      out += c.toString('latin1');
      if (out.endsWith('\r\n')) {
        s.end();
        resolve(out);
      }
    });
    s.on('error', reject);
    s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}
