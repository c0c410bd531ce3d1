import { loadConfig } from '../../payment_gateway/src/config';
import { testEnv } from '../../payment_gateway/test/support/test-app';
import { assertNoBullKeysLeft } from '../../test-support/bullmq';
import type { Emulator } from '../../test-support/emulator';
import { scanRunAtLastTeardown } from '../../test-support/secret-scan';
import type { RunFilters } from '../../test-support/secret-scan';

/**
 * Stops the emulator; Redis must hold no key of the run's BullMQ prefixes, and the last
 * project to end scans the run for secrets (secret-scan.ts).
 */
export default async function globalTeardown(globalConfig: RunFilters): Promise<void> {
  await (globalThis as { __e2eEmulator__?: Emulator }).__e2eEmulator__?.stop();
  await assertNoBullKeysLeft(loadConfig(testEnv()).redisUrl);
  await scanRunAtLastTeardown(globalConfig);
}
