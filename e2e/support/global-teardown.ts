import { loadConfig } from '../../payment_gateway/src/config';
import { testEnv } from '../../payment_gateway/test/support/test-app';
import { assertNoBullKeysLeft } from '../../test-support/bullmq';
import type { Emulator } from '../../test-support/emulator';

/** Stops the emulator; Redis must hold no key of the run's BullMQ prefixes. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __e2eEmulator__?: Emulator }).__e2eEmulator__?.stop();
  await assertNoBullKeysLeft(loadConfig(testEnv()).redisUrl);
}
