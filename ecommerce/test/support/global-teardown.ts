import type { Emulator } from '../../../test-support/emulator';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __ecommerceEmulator__?: Emulator }).__ecommerceEmulator__?.stop();
}
