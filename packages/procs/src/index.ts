export { freeLoopbackPort, hasCommand, waitForPort } from './ports.js';
export { LocalRedisError, hasRedisServer, startLocalRedis, type LocalRedis } from './redis.js';
export { redisCommand } from './resp.js';
export { startChild, startProcess, type ChildEvent, type ChildOptions, type ChildProcessHandle, type ServiceProcess } from './service.js';
