import type { Emulator } from '../../../test-support/emulator';
import { assertNoSecrets } from '../../../test-support/secret-scan';

/** Stops the emulator; then the whole suite's database and logs must hold no secret. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __ecommerceEmulator__?: Emulator }).__ecommerceEmulator__?.stop();
  await assertNoSecrets(
    'ecommerce',
    process.env.TEST_ECOMMERCE_DATABASE_URL!,
    process.env.TEST_ECOMMERCE_LOG_DIR!,
  );
}
