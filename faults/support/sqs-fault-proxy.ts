import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Held {
  request: http.IncomingMessage;
  response: http.ServerResponse;
  body: Buffer;
}

/**
 * An HTTP proxy in front of the emulator that can hold every request of one SQS action. The
 * AWS SDK v3 SQS client speaks the JSON protocol: the action is the `X-Amz-Target` header
 * (`AmazonSQS.DeleteMessageBatch`). A held DeleteMessageBatch means the drain has already
 * committed that batch to the ledger: the moment to kill the worker, with no hook in its code.
 */
export class SqsFaultProxy extends EventEmitter {
  private readonly server: http.Server;
  private readonly held: Held[] = [];
  private holding: string | undefined;

  constructor(private readonly target: URL) {
    super();
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        if (this.holding && request.headers['x-amz-target'] === `AmazonSQS.${this.holding}`) {
          const held = { request, response, body };
          this.held.push(held);
          this.emit('held', held);
        } else this.forward(request, response, body);
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async listen(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  /** From now on, requests of this action wait until released or dropped. */
  hold(action: string): void {
    this.holding = action;
  }

  /** Resolves with the next held request's JSON body. */
  async nextHeld(): Promise<{ Entries?: unknown[] }> {
    const [held] = (await once(this, 'held')) as [Held];
    return JSON.parse(held.body.toString()) as { Entries?: unknown[] };
  }

  /** Stops holding, and cuts the held requests' connections: they never reach SQS. */
  dropHeld(): void {
    this.holding = undefined;
    for (const { request } of this.held.splice(0)) request.socket.destroy();
  }

  async close(): Promise<void> {
    this.dropHeld();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    body: Buffer,
  ): void {
    const upstream = http.request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    upstream.end(body);
  }
}
