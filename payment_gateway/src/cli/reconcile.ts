import { parseArgs } from 'node:util';
import {
  awsSettings,
  ConfigError,
  createSqsClient,
  DEVELOPMENT_DATABASE_URLS,
  noDevelopmentAwsInProduction,
  parseEnv,
  requiredInProduction,
  serviceEnvFields,
} from '@marketplace/common';
import { z } from 'zod';
import { QueueDepths } from '../messaging/queue-depth';
import { QueueLocator } from '../messaging/queue-locator';
import {
  DEFAULT_GRACE_SECONDS,
  QUEUE_LAG_GRACE_SECONDS,
  Reconciler,
} from '../reconciliation/reconciler';
import { reportJson, reportText } from '../reconciliation/report-format';

const USAGE = `usage: reconcile [--json] [--grace-seconds N] [--from YYYY-MM-DD] [--to YYYY-MM-DD]

Compares the sales recorded by ecommerce (placed minus cancelled) with the payment gateway's
ledger, per purchase, seller and event, and per seller and day (UTC, by purchase date).
A sale missing from the ledger is in flight, not drift, while its event is unpublished, or
published and the gateway's queue still holds messages; once the queue is empty it is drift.
Messages in the dead-letter queue are drift too (make redrive, after a fix).
  --json             one JSON object instead of the report
  --grace-seconds N  if the queue cannot be read (the report says why), events published in
                     the last N s are in flight (default ${DEFAULT_GRACE_SECONDS}); if it can, only those of the
                     last min(N, ${QUEUE_LAG_GRACE_SECONDS}) s, as SQS's counts lag behind
  --from, --to       purchase dates to reconcile (to inclusive); default: all
Environment: DATABASE_URL (the ledger), ECOMMERCE_DATABASE_URL (the sales, read-only),
AWS_ENDPOINT_URL, AWS_REGION and SQS_QUEUE_URL (the gateway's queue, as the service finds it).
Exit status: 0 no drift (events in flight allowed), 1 drift (dead letters included), 2 could
not run (a database unreachable, bad options); an unreadable queue is not an error.
`;

const {
  NODE_ENV,
  DATABASE_URL,
  AWS_REGION,
  AWS_ENDPOINT_URL,
  AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY,
} = serviceEnvFields(8001);
const envSchema = z
  .object({
    NODE_ENV,
    DATABASE_URL,
    ECOMMERCE_DATABASE_URL: DATABASE_URL,
    AWS_REGION,
    AWS_ENDPOINT_URL,
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    SQS_QUEUE_URL: z.url().optional(),
  })
  .superRefine(requiredInProduction(['DATABASE_URL', 'ECOMMERCE_DATABASE_URL']))
  .superRefine(noDevelopmentAwsInProduction);

const optionsSchema = z
  .object({
    json: z.boolean().default(false),
    help: z.boolean().default(false),
    'grace-seconds': z.coerce.number().int().min(0).default(DEFAULT_GRACE_SECONDS),
    from: z.iso.date().optional(),
    to: z.iso.date().optional(),
  })
  .refine((o) => !o.from || !o.to || o.from <= o.to, {
    message: 'must not be after --to',
    path: ['from'],
  });

class UsageError extends Error {}

function readOptions(args: string[]) {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        'grace-seconds': { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`);
    throw new UsageError(problems.join('; '));
  }
  return parsed.data;
}

const dayStart = (day: string) => new Date(`${day}T00:00:00.000Z`);
const nextDayStart = (day: string) => new Date(dayStart(day).getTime() + 86_400_000);

/** `make reconcile`: exit 0 no drift, 1 drift, 2 could not run (message on stderr). */
async function main(): Promise<number> {
  const options = readOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const env = parseEnv(envSchema, process.env);
  const sqs = createSqsClient(awsSettings(env));
  const reconciler = new Reconciler(
    {
      sales: env.ECOMMERCE_DATABASE_URL ?? DEVELOPMENT_DATABASE_URLS.ecommerce,
      ledger: env.DATABASE_URL ?? DEVELOPMENT_DATABASE_URLS.payments,
    },
    new QueueDepths(sqs, new QueueLocator(sqs, env.SQS_QUEUE_URL)),
  );
  const graceSeconds = options['grace-seconds'];
  const report = await reconciler
    .run({
      window: {
        from: options.from ? dayStart(options.from) : undefined,
        to: options.to ? nextDayStart(options.to) : undefined,
      },
      graceSeconds,
    })
    .finally(() => sqs.destroy());
  const scope = {
    from: options.from ?? null,
    to: options.to ?? null,
    graceSeconds,
    generatedAt: new Date(),
  };
  process.stdout.write(
    options.json
      ? `${JSON.stringify(reportJson(report, scope), null, 2)}\n`
      : reportText(report, scope),
  );
  return report.ok ? 0 : 1;
}

main().then(
  (code) => {
    // exitCode, not exit(): a large report on a pipe is written out in full first.
    process.exitCode = code;
  },
  (error: unknown) => {
    const message =
      error instanceof UsageError
        ? `${error.message}\n\n${USAGE}`
        : error instanceof ConfigError
          ? error.message
          : error instanceof Error
            ? error.message
            : String(error);
    process.stderr.write(`reconcile could not run: ${message}\n`);
    process.exitCode = 2;
  },
);
