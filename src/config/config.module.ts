import { DynamicModule, Global, Module } from '@nestjs/common';
import { ResolvedSessionAuthOptions } from '@session-service/nestjs';
import { AppConfig } from './app-config';

/**
 * Makes the one validated AppConfig injectable everywhere, and its session settings as the
 * library's providers inject them (the token SessionAuthModule will provide once it wires them).
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: ResolvedSessionAuthOptions, useValue: config.sessionAuth },
      ],
      exports: [AppConfig, ResolvedSessionAuthOptions],
    };
  }
}
