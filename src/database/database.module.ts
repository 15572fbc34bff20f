import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions, SERVICE_QUERY_TIMEOUT_MS } from './data-source-options';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        if (!config.databaseUrl) {
          throw new Error('No database URL: start the embedded database before the app.');
        }
        return dataSourceOptions(
          config.databaseUrl,
          config.migrationsRun,
          SERVICE_QUERY_TIMEOUT_MS,
        );
      },
    }),
  ],
})
export class DatabaseModule {}
