import { OutageProxy } from '../test-support/outage-proxy';
import { OwnRedis } from '../test-support/processes';
import { startService, stopService } from '../test-support/service-process';
import type { ServiceProcess } from '../test-support/service-process';
import type { Env } from '../test-support/test-env';
import { unique } from '../test-support/unique';
import { waitFor } from '../test-support/eventually';
import { buildServices, compiledGatewayEnv, compiledShopEnv } from './support/compiled-stack';

/**
 * SIGTERM while a dependency is down: each compiled service still exits 0, and promptly, well
 * inside its shutdown deadline (SHUTDOWN_TIMEOUT_MS, 15 s by default) instead of at it. The
 * gateway has a redis-server of its own, which these tests kill; PostgreSQL is reached through
 * a proxy that these tests cut (the machine's Redis and PostgreSQL are never stopped).
 */

/** What the services run with here: the default. */
const DEADLINE_MS = 15_000;
/** "Promptly": what a stop with nothing in flight may take, dependency down or not. */
const PROMPT_MS = 3000;

let redis: OwnRedis;
let proxy: OutageProxy | undefined;
const started: ServiceProcess[] = [];

beforeAll(() => buildServices());

beforeEach(async () => {
  redis = await OwnRedis.start();
});

afterEach(async () => {
  for (const service of started.splice(0)) service.child.kill('SIGKILL');
  await proxy?.down();
  proxy = undefined;
  await redis.down();
});

async function start(entry: string, env: Env): Promise<ServiceProcess> {
  const service = await startService(entry, { ...env, SHUTDOWN_TIMEOUT_MS: String(DEADLINE_MS) });
  started.push(service);
  return service;
}

const gatewayEnv = (env: Env = {}) =>
  compiledGatewayEnv({
    bullPrefix: unique('shutdown'),
    pollIntervalMs: 200,
    env: { REDIS_URL: redis.url, ...env },
  });

/** The readiness check of each named dependency, as `/ready` reports it. */
async function checks(service: ServiceProcess): Promise<Record<string, string>> {
  const response = await fetch(`${service.url}/ready`).catch(() => undefined);
  const body = (await response?.json().catch(() => undefined)) as
    { checks?: Record<string, string> } | undefined;
  return body?.checks ?? {};
}

/** SIGTERM; the exit code, how long the stop took, and what the process logged. */
async function sigterm(service: ServiceProcess) {
  const at = Date.now();
  const code = await stopService(service);
  return { code, ms: Date.now() - at, output: service.output.join('') };
}

/** A clean stop: every step ran (no deadline cut it short). */
function expectStoppedCleanly(stop: Awaited<ReturnType<typeof sigterm>>) {
  expect(stop.code).toBe(0);
  expect(stop.ms).toBeLessThan(PROMPT_MS);
  expect(stop.output).toContain('"msg":"stopped"');
  expect(stop.output).not.toContain('shutdown deadline passed');
}

test.each(['all', 'worker'])(
  'when Redis is down, then SIGTERM stops the gateway (RUN_MODE %s) with exit 0 at once, not at the deadline',
  async (mode) => {
    const gateway = await start('payment_gateway/dist/main.js', gatewayEnv({ RUN_MODE: mode }));
    await redis.down();
    await waitFor('the gateway to see Redis down', async () => {
      const redisCheck = (await checks(gateway)).redis;
      return redisCheck !== undefined && redisCheck !== 'ok';
    });

    expectStoppedCleanly(await sigterm(gateway));
  },
);

test('when PostgreSQL is unreachable, then SIGTERM stops both services with exit 0 at once', async () => {
  proxy = new OutageProxy(new URL(process.env.TEST_POSTGRES_URL ?? 'postgres://127.0.0.1:5432'));
  await proxy.up();
  const viaProxy = (url: string | undefined) => {
    const address = new URL(url!);
    address.host = `127.0.0.1:${proxy!.port}`;
    return address.toString();
  };
  const shopEnv = compiledShopEnv();
  const [shop, gateway] = await Promise.all([
    start('ecommerce/dist/main.js', { ...shopEnv, DATABASE_URL: viaProxy(shopEnv.DATABASE_URL) }),
    start(
      'payment_gateway/dist/main.js',
      gatewayEnv({ DATABASE_URL: viaProxy(gatewayEnv().DATABASE_URL) }),
    ),
  ]);
  await proxy.down();
  for (const service of [shop, gateway]) {
    await waitFor('each service to see PostgreSQL down', async () => {
      const postgres = (await checks(service)).postgres;
      return postgres !== undefined && postgres !== 'ok';
    });
  }

  const [shopStop, gatewayStop] = await Promise.all([sigterm(shop), sigterm(gateway)]);
  expectStoppedCleanly(shopStop);
  expectStoppedCleanly(gatewayStop);
});
