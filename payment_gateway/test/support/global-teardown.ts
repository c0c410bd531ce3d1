import { assertNoBullKeysLeft } from '../../../test-support/bullmq';
import type { Emulator } from '../../../test-support/emulator';
import { scanRunAtLastTeardown } from '../../../test-support/secret-scan';
import type { RunFilters } from '../../../test-support/secret-scan';

/**
 * Stops the emulator; Redis must hold no key of the run's BullMQ prefixes (every test's queue
 * obliterated), and the last project to end scans the run for secrets (secret-scan.ts).
 */
export default async function globalTeardown(globalConfig: RunFilters): Promise<void> {
  await (globalThis as { __paymentsEmulator__?: Emulator }).__paymentsEmulator__?.stop();
  await assertNoBullKeysLeft(process.env.TEST_PAYMENTS_REDIS_URL!);
  await scanRunAtLastTeardown(globalConfig);
}
