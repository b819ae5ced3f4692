/**
 * Service-to-service HTTP (reload pushes, retraining requests, alert webhooks) through
 * `@nestjs/axios`'s HttpService, with the time limit set once, here, from the app's setting: every
 * call is bounded, no redirect is followed, and every status comes back to the caller to judge.
 */
import { HttpModule, HttpService } from '@nestjs/axios';
import { Module, type DynamicModule, type InjectionToken, type OnModuleInit } from '@nestjs/common';

export interface ServiceHttpOptions<S> {
  /** The settings class (or token) the time limit is read from. */
  settings: InjectionToken<S>;
  /** Time limit of one call in milliseconds, answer included. */
  timeoutMs: (settings: S) => number;
}

@Module({})
export class ServiceHttpModule implements OnModuleInit {
  constructor(private readonly http: HttpService) {}

  /**
   * Axios's `timeout` only limits a silent socket; a signal per call bounds the whole exchange, so a
   * peer that trickles its answer is cut off at the same limit.
   */
  onModuleInit(): void {
    const axios = this.http.axiosRef;
    axios.interceptors.request.use((config) => {
      if (config.signal === undefined && config.timeout) config.signal = AbortSignal.timeout(config.timeout);
      return config;
    });
  }

  static register<S>(options: ServiceHttpOptions<S>): DynamicModule {
    return {
      module: ServiceHttpModule,
      imports: [
        HttpModule.registerAsync({
          inject: [options.settings],
          useFactory: (settings: S) => ({
            timeout: options.timeoutMs(settings),
            maxRedirects: 0,
            validateStatus: () => true,
          }),
        }),
      ],
      exports: [HttpModule],
    };
  }
}
