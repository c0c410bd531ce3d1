import { parseArgs } from 'node:util';
import {
  ConfigError,
  DEVELOPMENT_DATABASE_URLS,
  parseEnv,
  requiredInProduction,
  serviceEnvFields,
} from '@marketplace/common';
import { z } from 'zod';
import { DEFAULT_GRACE_SECONDS, Reconciler } from '../reconciliation/reconciler';
import { reportJson, reportText } from '../reconciliation/report-format';

const USAGE = `usage: reconcile [--json] [--grace-seconds N] [--from YYYY-MM-DD] [--to YYYY-MM-DD]

Compares the sales recorded by ecommerce (placed minus cancelled) with the payment gateway's
ledger, per purchase, seller and event, and per seller and day (UTC, by purchase date).
  --json             one JSON object instead of the report
  --grace-seconds N  how long a published event may take to reach the ledger (default ${DEFAULT_GRACE_SECONDS})
  --from, --to       purchase dates to reconcile (to inclusive); default: all
Environment: DATABASE_URL (the ledger), ECOMMERCE_DATABASE_URL (the sales, read-only).
Exit status: 0 no drift (events in flight allowed), 1 drift, 2 could not run.
`;

const { NODE_ENV, DATABASE_URL } = serviceEnvFields(8001);
const envSchema = z
  .object({ NODE_ENV, DATABASE_URL, ECOMMERCE_DATABASE_URL: DATABASE_URL })
  .superRefine(requiredInProduction(['DATABASE_URL', 'ECOMMERCE_DATABASE_URL']));

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
  const reconciler = new Reconciler({
    sales: env.ECOMMERCE_DATABASE_URL ?? DEVELOPMENT_DATABASE_URLS.ecommerce,
    ledger: env.DATABASE_URL ?? DEVELOPMENT_DATABASE_URLS.payments,
  });
  const graceSeconds = options['grace-seconds'];
  const report = await reconciler.run({
    window: {
      from: options.from ? dayStart(options.from) : undefined,
      to: options.to ? nextDayStart(options.to) : undefined,
    },
    graceSeconds,
  });
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
