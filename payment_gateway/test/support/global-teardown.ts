import type { Emulator } from '../../../test-support/emulator';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __paymentsEmulator__?: Emulator }).__paymentsEmulator__?.stop();
}
