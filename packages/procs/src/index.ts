export { freeLoopbackPort, hasCommand, waitForPort } from './ports.js';
export { LocalRedisError, hasRedisServer, startLocalRedis, type LocalRedis } from './redis.js';
export { redisCommand } from './resp.js';
export { startProcess, type ServiceProcess } from './service.js';
