import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DLQ_NAME,
  EVENT_TYPES,
  MAX_RECEIVE_COUNT,
  RETENTION_SECONDS,
  QUEUE_NAME,
  TOPIC_NAME,
} from '@marketplace/common';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { ENVIRONMENT_VARIABLES as ECOMMERCE_VARIABLES } from '../../ecommerce/src/config';
import { ENVIRONMENT_VARIABLES as GATEWAY_VARIABLES } from '../../payment_gateway/src/config';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  expose?: string[];
  healthcheck?: { test: string[] | string };
  ports?: string[];
  volumes?: string[];
}
const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  test('when validated against the Compose Specification JSON schema, then it conforms', () => {
    // The schema file names draft-07 by an https URL that Ajv does not alias; it is draft-07.
    const { $schema: _, ...schema } = JSON.parse(
      read('node_modules/dclint/schemas/compose.schema.json'),
    ) as Record<string, unknown>;
    const ajv = new Ajv({ strict: false, allErrors: true });
    const valid = ajv.validate(schema, compose); // YAML merge keys resolved, as compose does
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test('when started, then every app waits for healthy dependencies and has a health check', () => {
    const apps = ['ecommerce', 'payment-gateway', 'payment-gateway-worker'];
    for (const name of [...apps, 'postgres', 'redis']) {
      expect({ name, healthcheck: Boolean(compose.services[name]?.healthcheck) }).toEqual({
        name,
        healthcheck: true,
      });
    }
    for (const name of apps) {
      for (const [dependency, { condition, required }] of Object.entries(
        compose.services[name]!.depends_on ?? {},
      )) {
        expect(compose.services[dependency]).toBeDefined();
        // The trace viewer is no dependency: started first, but the app starts without it.
        if (dependency === 'jaeger') {
          expect({ name, condition, required }).toEqual({
            name,
            condition: 'service_started',
            required: false,
          });
        } else {
          expect(['service_healthy', 'service_completed_successfully']).toContain(condition);
        }
      }
    }
    expect(compose.services['sns-sqs']!.image).toMatch(/^kibertoad\/fauxqs:/);
    expect(compose.services.postgres!.image).toMatch(/^postgres:16/);
    expect(compose.services.redis!.image).toMatch(/^redis:7/);
  });

  test('when ports are published, then only on loopback', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? [])
        expect({ name, port }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:/) });
    }
  });

  test('when tracing, then the apps export to the jaeger service, whose UI is bound to loopback only', () => {
    const serviceNames = {
      ecommerce: 'ecommerce',
      'payment-gateway': 'payment_gateway',
      'payment-gateway-worker': 'payment_gateway',
    };
    for (const [name, serviceName] of Object.entries(serviceNames)) {
      expect({ name, ...compose.services[name]!.environment }).toMatchObject({
        name,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
        OTEL_SERVICE_NAME: serviceName,
      });
    }
    const jaeger = compose.services.jaeger!;
    expect(jaeger.image).toMatch(/^jaegertracing\/jaeger:2\.\d+\.\d+$/); // v2, pinned
    expect(jaeger.expose).toEqual(expect.arrayContaining(['4317', '4318']));
    // The UI only; OTLP stays on the compose network.
    expect(jaeger.ports).toEqual(['127.0.0.1:16686:16686']);
    expect(jaeger.healthcheck?.test).toContain('http://localhost:13133/status');
  });

  test('when the apps read their environment, then compose sets only variables they know', () => {
    const known: Record<string, string[]> = {
      ecommerce: ECOMMERCE_VARIABLES,
      'payment-gateway': GATEWAY_VARIABLES,
      'payment-gateway-worker': GATEWAY_VARIABLES,
    };
    // Read by the AWS SDK, and by the container's start command (Node's own flags).
    const notForTheApp = ['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'SERVICE_NODE_FLAGS'];
    for (const [name, variables] of Object.entries(known)) {
      const unknown = Object.keys(compose.services[name]!.environment ?? {}).filter(
        (key) => !variables.includes(key) && !notForTheApp.includes(key),
      );
      expect({ name, unknown }).toEqual({ name, unknown: [] });
    }
  });

  test('when compose interpolates ${VAR}, then .env.example documents VAR', () => {
    const documented = new Set(
      read('.env.example')
        .split('\n')
        .map((line) => /^([A-Z_][A-Z0-9_]*)=/.exec(line)?.[1])
        .filter(Boolean),
    );
    const interpolated = [...composeText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!);
    expect(interpolated.filter((name) => !documented.has(name))).toEqual([]);
  });

  test('when .env.example is read, then every variable of both services is documented', () => {
    const example = read('.env.example');
    // make/compose map PORT and DATABASE_URL per service (ECOMMERCE_PORT, ...); HOST is shared.
    const perService = new Set(['PORT', 'DATABASE_URL']);
    const missing = [...new Set([...ECOMMERCE_VARIABLES, ...GATEWAY_VARIABLES])].filter(
      (name) => !perService.has(name) && !new RegExp(`^${name}=`, 'm').test(example),
    );
    expect(missing).toEqual([]);
  });
});

describe('Dockerfile', () => {
  test('when read, then it is multi-stage, runs as non-root with production dependencies only', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=\d+$/m);
    expect(dockerfile).toMatch(/npm ci .*--omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    for (const service of ['ecommerce', 'payment_gateway']) {
      expect(Object.values(compose.services).some((s) => s.build?.args?.SERVICE === service)).toBe(
        true,
      );
    }
  });
});

describe('deploy/fauxqs-init.json', () => {
  const init = JSON.parse(read('deploy/fauxqs-init.json')) as {
    queues: { name: string; attributes?: Record<string, string> }[];
    topics: { name: string }[];
    subscriptions: { topic: string; queue: string; attributes: Record<string, string> }[];
  };

  test('when compared with `make provision`, then it creates the same topic, queues and subscription', () => {
    expect(init.topics.map((t) => t.name)).toEqual([TOPIC_NAME]);
    const queue = init.queues.find((q) => q.name === QUEUE_NAME)!;
    expect(init.queues.map((q) => q.name).sort()).toEqual([DLQ_NAME, QUEUE_NAME].sort());
    const redrive = JSON.parse(queue.attributes!.RedrivePolicy!) as {
      deadLetterTargetArn: string;
      maxReceiveCount: string;
    };
    expect(redrive.deadLetterTargetArn.endsWith(`:${DLQ_NAME}`)).toBe(true);
    expect(Number(redrive.maxReceiveCount)).toBe(MAX_RECEIVE_COUNT);
    for (const q of init.queues) {
      expect(Number(q.attributes?.MessageRetentionPeriod)).toBe(RETENTION_SECONDS);
    }
    expect(init.subscriptions).toEqual([
      {
        topic: TOPIC_NAME,
        queue: QUEUE_NAME,
        attributes: {
          RawMessageDelivery: 'true',
          FilterPolicy: JSON.stringify({ event_type: [...EVENT_TYPES] }),
        },
      },
    ]);
  });

  test("when checked by fauxqs's own init-config validator, then it is accepted", () => {
    const validator = pathToFileURL(path.join(ROOT, 'node_modules/fauxqs/dist/initConfig.js')).href;
    const file = path.join(ROOT, 'deploy/fauxqs-init.json');
    const script = `import(${JSON.stringify(validator)}).then((m) => { m.loadInitConfig(${JSON.stringify(file)}); console.log('valid'); })`;
    expect(
      execFileSync(process.execPath, ['--input-type=module', '-e', script]).toString().trim(),
    ).toBe('valid');
  });
});
