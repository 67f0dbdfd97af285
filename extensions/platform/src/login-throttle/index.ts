// Sign-in throttling (throttle.ts) on every way in: REST /auth/login and GraphQL's auth_login are
// throttled before Directus looks the account up, so a throttled answer is the same for accounts that
// exist and accounts that do not; any other sign-in is throttled when Directus is about to check it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { HookConfig } from '@directus/types';
import { Redis } from 'ioredis';
import type { Accountability, Context } from '../shared/directus.ts';
import { forbidden } from '../shared/errors.ts';
import { positiveNumber } from '../shared/settings.ts';
import { LoginThrottle, normalizeEmail, type Admission, type Attempt } from './throttle.ts';

interface Request {
  method: string;
  path: string;
  body?: { email?: unknown; query?: unknown; variables?: Record<string, unknown> };
  accountability?: Accountability | null;
}

interface HttpApp {
  use: (handler: (req: Request, res: unknown, next: (err?: unknown) => void) => void) => void;
}

// Express routes paths whatever their letter case, so these match in any case too.
const REST_LOGIN = /^\/auth\/login(\/[^/]+)?\/?$/i;
const REST_RESET = /^\/auth\/password\/request\/?$/i;
const GRAPHQL_SYSTEM = /^\/graphql\/system\/?$/i;
const GRAPHQL_LOGIN = /\bauth_login\s*\(([^)]*)\)/;
const GRAPHQL_RESET = /\bauth_password_request\s*\(([^)]*)\)/;

const registerLoginThrottle: HookConfig = ({ init, filter, action }, hookContext) => {
  const context = hookContext as unknown as Context;
  const { env, logger } = context;
  const redisUrl = typeof env['REDIS'] === 'string' && env['REDIS'] !== '' ? env['REDIS'] : undefined;
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000 }) : undefined;
  redis?.on('error', () => undefined);
  const throttle = new LoginThrottle(
    {
      addressAttempts: positiveNumber(env, 'LOGIN_THROTTLE_ADDRESS_ATTEMPTS', 20),
      accountAttempts: positiveNumber(env, 'LOGIN_THROTTLE_ACCOUNT_ATTEMPTS', 10),
      pairAttempts: positiveNumber(env, 'LOGIN_THROTTLE_PAIR_ATTEMPTS', 5),
      windowSeconds: positiveNumber(env, 'LOGIN_THROTTLE_WINDOW_SECONDS', 900),
      trustedDays: positiveNumber(env, 'LOGIN_THROTTLE_TRUSTED_DAYS', 30),
      resetRequests: positiveNumber(env, 'LOGIN_THROTTLE_RESET_REQUESTS', 3),
    },
    redis,
  );
  const succeeded = (attempt: Attempt, admission: Admission) =>
    throttle.succeeded(attempt, admission).catch((err: Error) => logger.warn(`[trm-platform] login throttle: ${err.message}`));

  // A sign-in over HTTP is admitted by the middleware, before Directus looks the account up; the
  // request's context carries the admission to the sign-in's outcome (Directus makes a new
  // accountability for each sign-in, and GraphQL answers 200 with errors, so neither would tell).
  const overHttp = new AsyncLocalStorage<[Attempt, Admission]>();
  init('routes.before', ({ app }) => {
    (app as HttpApp).use((req, _res, next) => {
      const reset = httpRequest(req, REST_RESET, GRAPHQL_RESET);
      if (reset) return void throttle.admitReset(reset).then(() => next(), next);
      const attempt = httpRequest(req, REST_LOGIN, GRAPHQL_LOGIN);
      if (!attempt) return next();
      throttle.admit(attempt).then((admission) => overHttp.run([attempt, admission], () => next()), next);
    });
  });

  // Any other sign-in (single sign-on callbacks) is admitted when Directus is about to check it. One
  // without a client address (a WebSocket's email and password) is refused: it could be throttled
  // only all together, which would let anyone lock everyone out of it. A WebSocket authenticates
  // with the access token of a sign-in over HTTP instead.
  const admitted = new WeakMap<object, [Attempt, Admission]>();
  filter<Record<string, unknown>>('auth.login', async (payload, _meta, eventContext) => {
    if (overHttp.getStore()) return payload;
    const { accountability } = eventContext as { accountability: Accountability | null };
    if (!accountability?.ip) throw forbidden('Sign in over POST /auth/login; a WebSocket authenticates with the access token.');
    const attempt = { ip: accountability.ip, email: normalizeEmail(payload['email']) };
    admitted.set(payload, [attempt, await throttle.admit(attempt)]);
    return payload;
  });
  action('auth.login', ({ payload, status }) => {
    const admission = overHttp.getStore() ?? admitted.get(payload);
    if (status === 'success' && admission) void succeeded(...admission);
  });
};

export default registerLoginThrottle;

// The address and account of a sign-in (or a password-reset request) over HTTP, REST or GraphQL; or
// undefined when the request is none.
function httpRequest(req: Request, rest: RegExp, graphql: RegExp): Attempt | undefined {
  if (req.method !== 'POST') return undefined;
  const ip = req.accountability?.ip ?? '';
  if (rest.test(req.path)) return { ip, email: normalizeEmail(req.body?.email) };
  if (!GRAPHQL_SYSTEM.test(req.path) || typeof req.body?.query !== 'string') return undefined;
  const args = graphql.exec(req.body.query)?.[1];
  if (args === undefined) return undefined;
  const literal = /\bemail\s*:\s*"([^"]*)"/.exec(args)?.[1];
  const variable = /\bemail\s*:\s*\$(\w+)/.exec(args)?.[1];
  return { ip, email: normalizeEmail(literal ?? (variable ? req.body.variables?.[variable] : undefined)) };
}
