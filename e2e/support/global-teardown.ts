import type { Emulator } from '../../test-support/emulator';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __e2eEmulator__?: Emulator }).__e2eEmulator__?.stop();
}
