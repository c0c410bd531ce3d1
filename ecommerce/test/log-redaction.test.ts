import { createLogger } from '@marketplace/common';
import { captureLogs, jsonLines } from '../../test-support/log-capture';

/** A logger of the services' settings and the lines it wrote, parsed. */
function capturingLogger() {
  const { lines, destination } = captureLogs(process.env.TEST_ECOMMERCE_LOG_DIR);
  const logger = createLogger({ name: 'ecommerce', level: 'info' }, destination);
  const written = () => jsonLines(lines.join(''));
  return { logger, written };
}

describe('secrets in log lines', () => {
  test('when a line holds secret fields at its top, then each is written as [redacted]', () => {
    const { logger, written } = capturingLogger();
    logger.info(
      {
        password: 'hunter2-top',
        card_number: '4111111111111111',
        cvv: '123',
        credit_card: { number: '4111111111111111' },
        token: 'a-bearer-token',
        purchase_id: 'p-1',
      },
      'top',
    );
    expect(written()[0]).toMatchObject({
      password: '[redacted]',
      card_number: '[redacted]',
      cvv: '[redacted]',
      credit_card: '[redacted]',
      token: '[redacted]',
      purchase_id: 'p-1',
    });
  });

  test('when an object in a line holds secret fields, then they are [redacted], its other fields kept and the object itself untouched', () => {
    const { logger, written } = capturingLogger();
    const body = { username: 'ann', password: 'hunter2-nested', card_number: '4111111111111111' };
    logger.info({ body, input: { cvv: '999', quantity: 2 } }, 'nested');
    expect(written()[0]).toMatchObject({
      body: { username: 'ann', password: '[redacted]', card_number: '[redacted]' },
      input: { cvv: '[redacted]', quantity: 2 },
    });
    expect(body.password).toBe('hunter2-nested');
  });

  test('when an error carrying a token is logged, then it keeps its type, message and stack and the token is [redacted]', () => {
    const { logger, written } = capturingLogger();
    const error = Object.assign(new TypeError('the upstream refused us'), { token: 'leaked' });
    logger.error({ err: error }, 'failed');
    const err = written()[0]!.err as Record<string, unknown>;
    expect(err).toMatchObject({
      type: 'TypeError',
      message: 'the upstream refused us',
      token: '[redacted]',
    });
    expect(String(err.stack)).toContain('log-redaction.test');
  });

  test("when a request's or response's credentials are logged, then they are [redacted]", () => {
    const { logger, written } = capturingLogger();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer eyJ.x.y', cookie: 'sid=1', accept: '*/*' } },
        res: { headers: { 'set-cookie': 'sid=2', 'content-type': 'application/json' } },
      },
      'request',
    );
    expect(written()[0]).toMatchObject({
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: '*/*' } },
      res: { headers: { 'set-cookie': '[redacted]', 'content-type': 'application/json' } },
    });
  });

  test('when a line holds no secret, then it is written as given', () => {
    const { logger, written } = capturingLogger();
    const fields = {
      purchase_id: 'p-2',
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      span_id: 'b7ad6b7169203331',
      items: [{ product_id: 'x', quantity: 1 }],
      seller: { id: 's-1' },
    };
    logger.info(fields, 'plain');
    const { level, time, pid, hostname, name, msg, ...rest } = written()[0]!;
    expect([level, name, msg]).toEqual([30, 'ecommerce', 'plain']);
    expect([time, pid, hostname].every((value) => value !== undefined)).toBe(true);
    expect(rest).toEqual(fields);
  });
});
