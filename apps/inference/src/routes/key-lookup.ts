/** GET /v1/keys/:id: 200 when the key set is held at any cache level, 404 UNKNOWN_KEY otherwise. */
import { sendJson } from '@hlp/service-runtime';
import { unknownKeySet } from '../errors.js';
import { recordBodiless, type Route } from './route.js';

export const KEY_LOOKUP_PREFIX = '/v1/keys/';

export const keyLookupRoute: Route = {
  pattern: '/v1/keys/:id',
  method: 'GET',
  authenticated: true,
  async handle(context) {
    recordBodiless(context);
    const id = context.path.slice(KEY_LOOKUP_PREFIX.length);
    const set = /^[0-9a-f]{64}$/.test(id) ? await context.app.service.lookupKeys(id) : undefined;
    if (!set) throw unknownKeySet(id);
    return sendJson(context.res, 200, { keyId: set.id, hashes: set.hashes, bytes: set.bytes });
  },
};
