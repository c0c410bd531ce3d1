import { assertNoBullKeysLeft } from '../../../test-support/bullmq';
import type { Emulator } from '../../../test-support/emulator';
import { assertNoSecrets } from '../../../test-support/secret-scan';

/**
 * Stops the emulator; then the whole suite's database and logs must hold no secret, and Redis
 * no key of the run's BullMQ prefixes (every test's queue obliterated).
 */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __paymentsEmulator__?: Emulator }).__paymentsEmulator__?.stop();
  await assertNoSecrets(
    'payment_gateway',
    process.env.TEST_PAYMENTS_DATABASE_URL!,
    process.env.TEST_PAYMENTS_LOG_DIR!,
  );
  await assertNoBullKeysLeft(process.env.TEST_PAYMENTS_REDIS_URL!);
}
