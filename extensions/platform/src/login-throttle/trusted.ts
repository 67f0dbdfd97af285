import type { Redis } from 'ioredis';

// Which addresses an account signed in from lately: a mark per (account, address) that lasts
// `seconds`. In Redis when Directus has one, so that every instance knows it; always also in this
// process, which answers while Redis is away. (Not a rate limiter's memory store: those expire keys with
// timers, which Node cannot set beyond 24.8 days.)
export class TrustedAddresses {
  private readonly local = new Map<string, number>();
  private readonly seconds: number;
  private readonly redis: Redis | undefined;

  constructor(seconds: number, redis?: Redis) {
    this.seconds = seconds;
    this.redis = redis;
  }

  async remember(key: string): Promise<void> {
    this.local.set(key, Date.now() + this.seconds * 1000);
    await this.redis?.set(`trm:login:trusted:${key}`, '1', 'EX', this.seconds).catch(() => undefined);
  }

  async knows(key: string): Promise<boolean> {
    const until = this.local.get(key);
    if (until !== undefined && until > Date.now()) return true;
    if (until !== undefined) this.local.delete(key);
    if (!this.redis) return false;
    return (await this.redis.exists(`trm:login:trusted:${key}`).catch(() => 0)) === 1;
  }
}
