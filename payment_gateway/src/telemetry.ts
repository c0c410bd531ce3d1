// The first import of main.ts: tracing must start before pg and ioredis load.
import { startTelemetry } from '@marketplace/common/dist/telemetry';

export const telemetry = startTelemetry('payment_gateway');
