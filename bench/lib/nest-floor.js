'use strict';
/**
 * The framework floor: the smallest NestJS application on Fastify (the gateway's own stack,
 * same versions) that does what any gateway must for one chat completion: route the request,
 * let Fastify parse its JSON body, send the body upstream with a pooled keep-alive undici agent,
 * and answer with the upstream's JSON (a stream is piped chunk by chunk). No keys, limits,
 * events, logs or metrics: what Tollgate adds over this is its own work, and what this adds
 * over the node pass-through is the framework's.
 *
 * Plain JavaScript, so decorators are applied by hand. Runs as its own child process; reports
 * its port over IPC.
 */
require('reflect-metadata');
const { pipeline } = require('node:stream');
const { Controller, Module, Post, Req, Res } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');
const { Agent } = require('undici');

const ORIGIN = process.env.UPSTREAM_ORIGIN;
if (!ORIGIN) throw new Error('UPSTREAM_ORIGIN is required');
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 256 });

class ChatController {
  async chat(request, reply) {
    const upstream = await agent.request({
      origin: ORIGIN,
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: request.headers.authorization },
      body: JSON.stringify(request.body),
    });
    if (request.body && request.body.stream === true) {
      reply.hijack();
      reply.raw.writeHead(upstream.statusCode, { 'content-type': upstream.headers['content-type'] || 'text/event-stream' });
      pipeline(upstream.body, reply.raw, () => {});
      return;
    }
    const answer = await upstream.body.json();
    void reply.status(upstream.statusCode).send(answer);
  }
}
Req()(ChatController.prototype, 'chat', 0);
Res()(ChatController.prototype, 'chat', 1);
Post('chat/completions')(ChatController.prototype, 'chat', Object.getOwnPropertyDescriptor(ChatController.prototype, 'chat'));
Controller('v1')(ChatController);

class FloorModule {}
Module({ controllers: [ChatController] })(FloorModule);

(async () => {
  const app = await NestFactory.create(FloorModule, new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  if (process.send) process.send({ ready: true, port });
  else console.log(`NestJS floor on http://127.0.0.1:${port} -> ${ORIGIN}`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
