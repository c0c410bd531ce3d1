import { randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import { AppError } from '@marketplace/common';
import { isUniqueViolation } from '../data/database';
import type { User, UserRepository } from '../data/user-repository';
import type { IssuedToken, Principal, TokenService } from './tokens';
import { WorkLimiter } from './work-limiter';

/** Password checks that may wait for a free hashing slot, per slot, before new ones get 503. */
export const BCRYPT_QUEUE_PER_SLOT = 16;

export interface PasswordHashing {
  rounds: number;
  /** Hashes computed at once: each pins a CPU for its duration, so a flood must not start more. */
  concurrency: number;
}

export interface Registration {
  username: string;
  email: string;
  password: string;
}

export type RegisteredUser = Pick<User, 'id' | 'username'>;

export class AccountUseCases {
  /** Compared against when the username is unknown, so both failures take the same time. */
  private readonly decoyHash: Promise<string>;
  private readonly hashingSlots: WorkLimiter;

  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenService,
    private readonly hashing: PasswordHashing,
  ) {
    this.decoyHash = bcrypt.hash(randomUUID(), hashing.rounds);
    this.hashingSlots = new WorkLimiter(
      hashing.concurrency,
      hashing.concurrency * BCRYPT_QUEUE_PER_SLOT,
      () =>
        new AppError(
          'overloaded',
          'Too many password checks are in progress; retry in a moment.',
          undefined,
          1,
        ),
    );
  }

  async register(input: Registration): Promise<RegisteredUser> {
    const passwordHash = await this.hashingSlots.run(() =>
      bcrypt.hash(input.password, this.hashing.rounds),
    );
    try {
      const user = await this.users.insert({
        id: randomUUID(),
        username: input.username,
        email: input.email,
        passwordHash,
        role: 'customer',
        sellerId: null,
      });
      return { id: user.id, username: user.username };
    } catch (error) {
      if (isUniqueViolation(error, 'users_username_key')) {
        throw new AppError('username_taken', `The username "${input.username}" is already taken.`);
      }
      if (isUniqueViolation(error, 'users_email_key')) {
        throw new AppError('email_taken', 'An account with this email already exists.');
      }
      throw error;
    }
  }

  async login(username: string, password: string): Promise<IssuedToken> {
    const user = await this.users.findByUsername(username);
    const hash = user?.passwordHash ?? (await this.decoyHash);
    const matches = await this.hashingSlots.run(() => bcrypt.compare(password, hash));
    if (!user || !matches)
      throw new AppError('invalid_credentials', 'Invalid username or password.');
    return this.tokens.issue({
      userId: user.id,
      username: user.username,
      role: user.role,
      sellerId: user.sellerId,
    });
  }

  /** A fresh token with the user's current role, for a token that is still valid. */
  async refresh(principal: Principal): Promise<IssuedToken> {
    const user = await this.users.findById(principal.userId);
    if (!user) throw new AppError('account_not_found', 'The account no longer exists.');
    return this.tokens.issue({
      userId: user.id,
      username: user.username,
      role: user.role,
      sellerId: user.sellerId,
    });
  }
}
