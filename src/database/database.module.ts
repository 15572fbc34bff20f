import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions, SERVICE_QUERY_TIMEOUT_MS } from './data-source-options';
import { runMigrations } from './run-migrations';

@Module({})
export class DatabaseModule {
  /** Read when the app connects (never in preview mode), once main.ts has set `databaseUrl`. */
  static forRoot(config: AppConfig): DynamicModule {
    const databaseUrl = (): string => {
      if (!config.databaseUrl) {
        throw new Error('No database URL: start the embedded database before the app.');
      }
      return config.databaseUrl;
    };
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(databaseUrl(), SERVICE_QUERY_TIMEOUT_MS),
          // Called inside TypeORM's connection retries, so that migrating waits for a database
          // that is still starting as connecting does.
          dataSourceFactory: async (options?: DataSourceOptions) => {
            if (config.migrationsRun) {
              const directUrl = config.databaseDirectUrl ?? databaseUrl();
              await runMigrations(directUrl, SERVICE_QUERY_TIMEOUT_MS);
            }
            return new DataSource(options!);
          },
        }),
      ],
    };
  }
}
