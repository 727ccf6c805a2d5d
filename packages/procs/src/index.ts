export { BinError, binOf } from './bins.js';
export { runCommand, type CommandOptions, type CommandResult } from './command.js';
export { DetachedStartError, isAlive, logTail, pidsMentioning, spawnDetached, startTicks, stopDetached, type DetachedProcess } from './detached.js';
export { freeLoopbackPort, hasCommand, waitForPort } from './ports.js';
export { LocalRedisError, hasRedisServer, startLocalRedis, type LocalRedis } from './redis.js';
export { redisCommand } from './resp.js';
export {
  ChildWaitError,
  startChild,
  startProcess,
  type ChildEvent,
  type ChildLog,
  type ChildOptions,
  type ChildProcessHandle,
  type ServiceProcess,
} from './service.js';
