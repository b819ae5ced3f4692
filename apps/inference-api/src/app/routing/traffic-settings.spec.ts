import type { RegisteredModel } from '@churn/mlflow-client';

import { sameTraffic, trafficSettingsOf } from './traffic-settings';

function model(tags: Record<string, string>, aliases: Record<string, string> = {}): RegisteredModel {
  return {
    name: 'churn_model',
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    aliases: Object.entries(aliases).map(([alias, version]) => ({ alias, version })),
  };
}

describe('trafficSettingsOf', () => {
  it('reads the share, shadow flag, salt and the champion/challenger versions', () => {
    expect(
      trafficSettingsOf(
        model(
          { 'traffic.challenger_share': '0.25', 'traffic.shadow': 'TRUE', 'traffic.salt': 'exp-7' },
          { champion: '3', challenger: '4', production: '3' },
        ),
      ),
    ).toEqual({
      challengerShare: 0.25,
      shadow: true,
      salt: 'exp-7',
      perRequest: false,
      championVersion: '3',
      challengerVersion: '4',
      problems: [],
    });
  });

  it('means no experiment without tags, and salts with the model name', () => {
    expect(trafficSettingsOf(model({}))).toEqual({
      challengerShare: null,
      shadow: false,
      salt: 'churn_model',
      perRequest: false,
      championVersion: null,
      challengerVersion: null,
      problems: [],
    });
  });

  it('splits requests without a user id only while traffic.per_request is true (a rollout)', () => {
    expect(trafficSettingsOf(model({ 'traffic.per_request': 'true' })).perRequest).toBe(true);
    expect(trafficSettingsOf(model({ 'traffic.per_request': 'false' })).perRequest).toBe(false);
    expect(trafficSettingsOf(model({})).perRequest).toBe(false);
    const on = trafficSettingsOf(model({ 'traffic.per_request': 'true' }));
    expect(sameTraffic(on, trafficSettingsOf(model({})))).toBe(false);
  });

  it('ignores a malformed tag and names it, instead of failing every replica', () => {
    const settings = trafficSettingsOf(model({ 'traffic.challenger_share': '1.5', 'traffic.shadow': 'yes' }));
    expect(settings.challengerShare).toBeNull();
    expect(settings.shadow).toBe(false);
    expect(settings.problems).toEqual([
      'traffic.challenger_share must be a number from 0 to 1, got "1.5"; no split applied',
      'traffic.shadow must be true or false, got "yes"; shadow off',
    ]);
    expect(trafficSettingsOf(model({ 'traffic.challenger_share': 'ten' })).problems[0]).toContain('"ten"');
  });

  it('tells a changed read from an unchanged one', () => {
    const a = trafficSettingsOf(model({ 'traffic.challenger_share': '0.1' }, { champion: '1', challenger: '2' }));
    expect(
      sameTraffic(
        a,
        trafficSettingsOf(model({ 'traffic.challenger_share': '0.1' }, { champion: '1', challenger: '2' })),
      ),
    ).toBe(true);
    expect(
      sameTraffic(
        a,
        trafficSettingsOf(model({ 'traffic.challenger_share': '0.2' }, { champion: '1', challenger: '2' })),
      ),
    ).toBe(false);
    expect(
      sameTraffic(
        a,
        trafficSettingsOf(model({ 'traffic.challenger_share': '0.1' }, { champion: '1', challenger: '3' })),
      ),
    ).toBe(false);
  });
});
