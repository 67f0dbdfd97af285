import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { tooManyRequests } from '../shared/errors.ts';

// Password guessing, throttled three ways, without handing an attacker a way to lock anyone out
// (Directus's own suspension after N failures is off: snapshots/config.yaml auth_login_attempts null):
// - per address: every sign-in from one IP address;
// - per account and address: one account from one address;
// - per account, from addresses the account has not signed in from before. A person keeps signing in
//   from the addresses they used in the last LOGIN_THROTTLE_TRUSTED_DAYS while someone elsewhere
//   guesses their password.
// An attempt takes a point before the password is checked (so a burst cannot outrun the count) and a
// successful one gives them back. Counters live in Redis when Directus has one (REDIS), so that every
// instance counts the same attempts, else in this process.
export interface ThrottleSettings {
  addressAttempts: number;
  accountAttempts: number;
  pairAttempts: number;
  windowSeconds: number;
  trustedDays: number;
}

export interface Attempt {
  ip: string;
  email: string;
}

// The points an admitted attempt took, given back if it succeeds.
export type Admission = Array<[RateLimiterAbstract, string]>;

export class LoginThrottle {
  private readonly trustedSeconds: number;
  private readonly address: RateLimiterAbstract;
  private readonly account: RateLimiterAbstract;
  private readonly pair: RateLimiterAbstract;
  private readonly trusted: RateLimiterAbstract;

  constructor(settings: ThrottleSettings, redis?: Redis) {
    // While Redis is away each instance counts on its own (rate-limiter-flexible's insurance limiter):
    // sign-in keeps working and stays throttled.
    const limiter = (keyPrefix: string, points: number, duration: number) =>
      redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }) })
        : new RateLimiterMemory({ keyPrefix, points, duration });
    this.address = limiter('trm:login:address', settings.addressAttempts, settings.windowSeconds);
    this.account = limiter('trm:login:account', settings.accountAttempts, settings.windowSeconds);
    this.pair = limiter('trm:login:pair', settings.pairAttempts, settings.windowSeconds);
    // A key here means: this account signed in from this address recently.
    this.trustedSeconds = settings.trustedDays * 24 * 3600;
    this.trusted = limiter('trm:login:trusted', 1, this.trustedSeconds);
  }

  // Takes this attempt's points, or refuses it with 429 and when to try again. The answer is the same
  // whether the account exists or not.
  async admit({ ip, email }: Attempt): Promise<Admission> {
    const pairKey = `${email}|${ip}`;
    const limiters: Admission = [
      [this.address, ip],
      [this.pair, pairKey],
    ];
    if (!(await this.trusted.get(pairKey))) limiters.push([this.account, email]);
    const taken: Admission = [];
    for (const [limiter, key] of limiters) {
      try {
        await limiter.consume(key);
        taken.push([limiter, key]);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw tooManyRequests(`Too many failed sign-ins; try again in ${seconds} s.`);
      }
    }
    return taken;
  }

  // A successful sign-in: its points back, the account's failures from this address forgotten, and
  // the address remembered for the account.
  async succeeded({ ip, email }: Attempt, admission: Admission): Promise<void> {
    const pairKey = `${email}|${ip}`;
    await Promise.all([
      ...admission.filter(([limiter]) => limiter !== this.pair).map(([limiter, key]) => limiter.reward(key)),
      this.pair.delete(pairKey),
      this.trusted.set(pairKey, 1, this.trustedSeconds),
    ]);
  }
}

export const normalizeEmail = (email: unknown): string => (typeof email === 'string' ? email.trim().toLowerCase() : '');
