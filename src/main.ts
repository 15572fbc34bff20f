import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { Logger as Pino } from 'pino';
import { createApp } from './app.setup';
import { runPrimary } from './cluster';
import { createLogger, PinoNestLogger } from './common/logger';
import { AppConfig } from './config/app-config';
import { loadConfigOrExit } from './config/load-config-or-exit';
import { sizeThreadPool } from './config/thread-pool';
import { EmbeddedPostgres } from './database/embedded-postgres';
import { closeManagementServer } from './management/management-server';
import { answerPrimary, startManagement } from './management/management';
import { ServiceMetrics } from './management/service-metrics';

async function bootstrap(): Promise<void> {
  sizeThreadPool();
  const config = loadConfigOrExit();
  const root = createLogger(config.logLevel);
  const pino = cluster.isWorker ? root.child({ worker: cluster.worker?.id }) : root;
  Logger.overrideLogger(new PinoNestLogger(pino));
  if (cluster.isPrimary && config.webConcurrency > 1) {
    await runPrimary(config);
    return;
  }
  await serve(config, pino);
}

/** One server: the whole service in this process, or one worker of a cluster. */
async function serve(config: AppConfig, pino: Pino): Promise<void> {
  const logger = new Logger('Bootstrap');
  const embedded = config.databaseUrl ? null : await EmbeddedPostgres.start(config.dataDir);
  if (embedded) config.databaseUrl = embedded.url;
  const metrics = config.managementPort === null ? undefined : new ServiceMetrics();

  let app: NestFastifyApplication | undefined;
  let management: Server | null = null;
  try {
    app = await createApp(config, { logger: pino, metrics });
    // In a cluster the primary serves the management port, asking each worker.
    if (metrics && cluster.isWorker) answerPrimary(app, metrics);
    else if (metrics) {
      management = await startManagement(config.host, config.managementPort!, app, metrics);
    }
  } catch (error) {
    await app?.close();
    await embedded?.stop();
    throw error;
  }
  await app.listen({ port: config.port, host: config.host });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // In a cluster the primary announces the shared port once every worker listens.
  if (cluster.isPrimary) {
    logger.log({
      msg: `Listening on ${config.host}:${port}` + (config.docsEnabled ? ', docs at /docs' : ''),
      port,
      publicUrl: config.publicUrl,
    });
    announceReady();
  }

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: finishing requests in flight, then stopping`);
    // A stuck request must not keep the process alive forever.
    const deadline = setTimeout(() => process.exit(1), 25_000).unref();
    try {
      await closeManagementServer(management);
      await app.close();
      await embedded?.stop();
      clearTimeout(deadline);
      process.exit(0);
    } catch (error) {
      logger.error({ msg: 'Shutdown failed', err: error });
      process.exit(1);
    }
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
}

/**
 * Tells a parent that started this process with an IPC channel (a supervisor such as pm2 with
 * `wait_ready`, or the bench) that it now serves, whatever the log level.
 */
function announceReady(): void {
  process.send?.('ready');
}

bootstrap().catch((error: unknown) => {
  new Logger('Bootstrap').fatal({
    msg: 'The service could not start',
    err: error instanceof Error ? { message: error.message } : String(error),
  });
  process.exit(1);
});
