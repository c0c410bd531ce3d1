import type { Redis } from 'ioredis';

/** Where the drain's last finish is kept, under the deployment's BULLMQ_PREFIX. */
export const heartbeatKey = (prefix: string) => `${prefix}:drain:last-finished-at`;

/**
 * When a drain run last finished. Kept in memory (this process) and in Redis (any process),
 * so an idle worker of several is not taken for a stalled one, and a Redis that lost its data
 * still leaves each process its own memory. Readiness and the
 * `drain_last_success_age_seconds` gauge read the newer of the two.
 */
export class DrainHeartbeat {
  private lastFinishedAt: number;
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** Older than this, the drain counts as stalled: 3 poll intervals plus the drain budget. */
    readonly staleAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {
    // A process that just started has not had the chance to drain yet: age counts from here.
    this.lastFinishedAt = this.now();
    this.key = heartbeatKey(prefix);
  }

  /** A drain run finished (with or without messages). */
  async record(): Promise<void> {
    this.lastFinishedAt = this.now();
    // Best effort: a Redis that does not answer leaves the in-memory record.
    await this.redis.set(this.key, String(this.lastFinishedAt)).catch(() => undefined);
  }

  async ageSeconds(): Promise<number> {
    const shared = await this.redis.get(this.key).then(Number, () => NaN);
    const latest = Number.isFinite(shared)
      ? Math.max(shared, this.lastFinishedAt)
      : this.lastFinishedAt;
    return Math.max(0, (this.now() - latest) / 1000);
  }

  /** For readiness: throws when no drain has finished lately. */
  async assertFresh(): Promise<void> {
    const age = await this.ageSeconds();
    if (age * 1000 > this.staleAfterMs) {
      throw new Error(
        `no drain has finished for ${age.toFixed(1)} s (limit ${this.staleAfterMs / 1000} s)`,
      );
    }
  }
}
