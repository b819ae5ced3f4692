// The Nest adapter provides a working MlflowClient (talking to the real server) both ways.
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';

import { MlflowClient, mlflowClientOptionsFromEnv, MlflowModule } from '../../src';
import { trackingUri, uniqueName } from '../support';

@Injectable()
class SettingsService {
  readonly env = { MLFLOW_TRACKING_URI: trackingUri(), MLFLOW_TRACKING_TOKEN: 'token-not-checked-by-this-server' };
}

@Module({ providers: [SettingsService], exports: [SettingsService] })
class SettingsModule {}

describe('MlflowModule', () => {
  it('forRootAsync builds the client from injected settings', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MlflowModule.forRootAsync({
          imports: [SettingsModule],
          inject: [SettingsService],
          useFactory: (settings: SettingsService) => mlflowClientOptionsFromEnv(settings.env),
        }),
      ],
    }).compile();
    const client = moduleRef.get(MlflowClient);
    expect(String(client)).toBe(`MlflowClient(${trackingUri()}, auth: bearer)`);
    const name = uniqueName('nest');
    expect((await client.experiments.getOrCreate(name)).name).toBe(name);
    await moduleRef.close();
  });

  it('forRoot takes options directly, with basic auth', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MlflowModule.forRoot({
          trackingUri: trackingUri(),
          auth: { type: 'basic', username: 'u', password: 'p' },
          isGlobal: true,
        }),
      ],
    }).compile();
    const client = moduleRef.get(MlflowClient);
    expect(client.toJSON()).toEqual({ trackingUri: trackingUri(), auth: 'basic' });
    const name = uniqueName('nest-basic');
    expect((await client.experiments.getOrCreate(name)).name).toBe(name);
    await moduleRef.close();
  });
});
