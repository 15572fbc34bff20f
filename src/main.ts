import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.setup';
import { createLogger, PinoNestLogger } from './common/logger';
import { loadConfigOrExit } from './config/load-config-or-exit';
import { EmbeddedPostgres } from './database/embedded-postgres';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const pino = createLogger(config.logLevel);
  Logger.overrideLogger(new PinoNestLogger(pino));
  const logger = new Logger('Bootstrap');
  const embedded = config.databaseUrl ? null : await EmbeddedPostgres.start(config.dataDir);
  if (embedded) config.databaseUrl = embedded.url;

  let app;
  try {
    app = await createApp(config, { logger: pino });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  await app.listen({ port: config.port, host: config.host });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.log({
    msg: `Listening on ${config.host}:${port}` + (config.docsEnabled ? ', docs at /docs' : ''),
    port,
    publicUrl: config.publicUrl,
  });

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: finishing requests in flight, then stopping`);
    // A stuck request must not keep the process alive forever.
    const deadline = setTimeout(() => process.exit(1), 25_000).unref();
    try {
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

bootstrap().catch((error: unknown) => {
  new Logger('Bootstrap').fatal({
    msg: 'The service could not start',
    err: error instanceof Error ? { message: error.message } : String(error),
  });
  process.exit(1);
});
