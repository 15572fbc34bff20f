/* eslint-disable no-console -- a command-line tool: its output is for the reader */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { loadConfigOrExit } from '../config/load-config-or-exit';
import { formatRouteTable, routeTable } from './route-table';

/**
 * `npm run routes`: prints every route with its guard, public flag and roles. Runs in Nest's
 * preview mode, so it needs no database.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    preview: true,
    logger: false,
  });
  console.log(formatRouteTable(routeTable(app)));
  await app.close();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
