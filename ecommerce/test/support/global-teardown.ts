import type { Emulator } from '../../../test-support/emulator';
import { scanRunAtLastTeardown } from '../../../test-support/secret-scan';
import type { RunFilters } from '../../../test-support/secret-scan';

/** Stops the emulator; the last project to end scans the run for secrets (secret-scan.ts). */
export default async function globalTeardown(globalConfig: RunFilters): Promise<void> {
  await (globalThis as { __ecommerceEmulator__?: Emulator }).__ecommerceEmulator__?.stop();
  await scanRunAtLastTeardown(globalConfig);
}
