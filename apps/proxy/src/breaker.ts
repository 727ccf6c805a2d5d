/**
 * The circuit breaker in front of the inference service.
 *
 *   closed ──(N consecutive failures)──▶ open ──(cool-down)──▶ half-open ──probe ok──▶ closed
 *                                         ▲                        │
 *                                         └──────probe failed──────┘
 *
 * - closed: calls go through; a failure (connection refused or reset, timeout, a 5xx answer)
 *   counts, a success resets the count.
 * - open: calls fail at once with 503 UPSTREAM_DOWN and Retry-After = the cool-down left, so a
 *   dead service costs neither a connection attempt nor a client's patience.
 * - half-open: after the cool-down one probe runs (GET /healthz on the service, not a client's
 *   request); success closes the breaker, failure opens it for another cool-down. The probe runs
 *   on a timer, so recovery needs no client traffic; client calls still fail fast meanwhile.
 */
import { ProtocolError } from '@hlp/protocol';
import type { BreakerState } from '@hlp/telemetry';

export interface BreakerOptions {
  /** Consecutive failures that open the breaker (default 5). */
  readonly failureThreshold?: number;
  /** How long it stays open before the half-open probe (default 5 s). */
  readonly cooldownMs?: number;
  /** The half-open probe: resolves true when the service is healthy. */
  readonly probe: () => Promise<boolean>;
  readonly onStateChange?: (state: BreakerState, previous: BreakerState) => void;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly failureThreshold: number;
  readonly cooldownMs: number;

  constructor(private readonly options: BreakerOptions) {
    this.failureThreshold = options.failureThreshold ?? 5;
    this.cooldownMs = options.cooldownMs ?? 5000;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Throws UPSTREAM_DOWN (with Retry-After) unless calls may go through now. */
  check(): void {
    if (this.current === 'closed') return;
    const left = Math.max(0, this.openedAt + this.cooldownMs - performance.now());
    throw new ProtocolError(
      'UPSTREAM_DOWN',
      `the inference service is failing (circuit breaker ${this.current} after ${this.failureThreshold} consecutive failures); retrying it in ${Math.ceil(left / 1000)} s`,
      null,
      { retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)) },
    );
  }

  success(): void {
    this.failures = 0;
  }

  failure(): void {
    if (this.current !== 'closed') return;
    this.failures++;
    if (this.failures >= this.failureThreshold) this.open();
  }

  private set(state: BreakerState): void {
    const previous = this.current;
    if (previous === state) return;
    this.current = state;
    this.options.onStateChange?.(state, previous);
  }

  private open(): void {
    this.set('open');
    this.openedAt = performance.now();
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.halfOpen(), this.cooldownMs);
    this.timer.unref();
  }

  private async halfOpen(): Promise<void> {
    if (this.stopped) return;
    this.set('half-open');
    let ok = false;
    try {
      ok = await this.options.probe();
    } catch {
      ok = false;
    }
    if (this.stopped) return;
    if (ok) {
      this.failures = 0;
      this.set('closed');
    } else {
      this.open();
    }
  }

  /** Stop probing (the proxy is shutting down). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
