import { expandPushTargets, type AddressLookup } from './reload-push.service';

describe('expandPushTargets', () => {
  const lookupOf =
    (addresses: Array<{ address: string; family: number }>): AddressLookup =>
    async () =>
      addresses;

  it('uses several URLs as given', async () => {
    const urls = ['http://a:8000', 'http://b:8000'];
    expect(await expandPushTargets(urls, lookupOf([]))).toEqual(urls);
  });

  it('expands one name that resolves to several addresses (a headless Service) keeping scheme, port and path', async () => {
    const resolved = lookupOf([
      { address: '10.0.0.7', family: 4 },
      { address: '10.0.0.8', family: 4 },
      { address: '10.0.0.7', family: 4 },
      { address: 'fd00::9', family: 6 },
    ]);
    expect(await expandPushTargets(['http://inference-api.ml.svc:8000/base'], resolved)).toEqual([
      'http://10.0.0.7:8000/base',
      'http://10.0.0.8:8000/base',
      'http://[fd00::9]:8000/base',
    ]);
  });

  it('keeps one URL as is when it resolves to one address or not at all', async () => {
    expect(await expandPushTargets(['http://one:8000'], lookupOf([{ address: '10.0.0.1', family: 4 }]))).toEqual([
      'http://one:8000',
    ]);
    const failing: AddressLookup = async () => {
      throw new Error('ENOTFOUND');
    };
    expect(await expandPushTargets(['http://gone:8000'], failing)).toEqual(['http://gone:8000']);
  });
});
