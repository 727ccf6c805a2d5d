/** Failures of `hlp cluster`, each with a stable code (mapped onto the lab's exit codes in ../errors.ts). */
export type ClusterErrorCode =
  /** Bad option value or an impossible combination. */
  | 'BAD_OPTION'
  /** Not root: namespaces, bridges and qdiscs need CAP_NET_ADMIN. */
  | 'NOT_ROOT'
  /** A command the cluster needs (ip, haproxy, redis-server, prometheus, nft) is not installed. */
  | 'MISSING_COMMAND'
  /** `ip netns` does not work here (no network namespaces in this kernel or container). */
  | 'NO_NETNS'
  /** The chosen subnet is already routed on this machine. */
  | 'SUBNET_IN_USE'
  /** A system command (ip, tc, nft, haproxy -c) failed. */
  | 'COMMAND_FAILED'
  /** A service did not become ready in time, or exited while starting. */
  | 'START_FAILED'
  /** No cluster of this name is up (no state file). */
  | 'NOT_UP'
  /** The state file is unreadable or not a cluster state. */
  | 'BAD_STATE'
  /** A fault could not be applied (e.g. netem loss on a kernel without it and without nft). */
  | 'FAULT_FAILED';

const USAGE_CODES: ReadonlySet<ClusterErrorCode> = new Set(['BAD_OPTION', 'NOT_UP']);

export class ClusterError extends Error {
  override readonly name = 'ClusterError';
  constructor(
    readonly code: ClusterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True when the caller asked for something wrong (exit 2 as a usage error), not the machine. */
  get isUsage(): boolean {
    return USAGE_CODES.has(this.code);
  }
}
