import { lookup } from 'node:dns/promises';

import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { isAxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';

import { redactCredentials, splitList } from '@churn/service-kit';

import { RegistryAdminConfig } from '../config/registry-admin.config';

/** The outcome of one reload push to one inference-api replica. */
export interface PushResult {
  /** The replica's base URL (an address when one DNS name was expanded). */
  target: string;
  ok: boolean;
  /** HTTP status of the answer; null when none arrived. */
  status: number | null;
  /** Why it failed (no answer, timeout, non-2xx); null on success. */
  error: string | null;
  duration_ms: number;
}

export type AddressLookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const resolveAll: AddressLookup = (hostname) => lookup(hostname, { all: true });

/**
 * The base URLs to push to. Several comma-separated URLs are used as given. One URL whose host
 * resolves to several addresses (a Kubernetes headless Service) becomes one URL per address, same
 * scheme, port and path, so every replica behind the name hears of the move, not just the one a
 * load balancer would pick. A name that does not resolve is kept as is: its push then fails and is
 * reported.
 */
export async function expandPushTargets(
  urls: readonly string[],
  resolve: AddressLookup = resolveAll,
): Promise<string[]> {
  if (urls.length !== 1) return [...urls];
  const url = new URL(urls[0]);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = await resolve(hostname);
  } catch {
    return [...urls];
  }
  const unique = [...new Map(addresses.map((entry) => [entry.address, entry])).values()];
  if (unique.length <= 1) return [...urls];
  return unique.map(({ address, family }) => {
    const copy = new URL(url.href);
    copy.hostname = family === 6 ? `[${address}]` : address;
    return copy.href.replace(/\/$/, '');
  });
}

/**
 * Tells every inference-api replica that an alias moved (or a model's traffic changed):
 * `POST <base>/admin/reload` with bearer INFERENCE_ADMIN_TOKEN and `{ name, alias }` (`{ name }`
 * for traffic), all replicas at once, through the kit's HttpService, each call bounded by
 * PUSH_TIMEOUT_MS. Failures are returned and logged, never thrown: the move already happened in
 * MLflow and replicas that missed the push still find it by polling.
 */
@Injectable()
export class ReloadPushService {
  private readonly logger = new Logger(ReloadPushService.name);
  private readonly urls: string[];

  constructor(
    @Inject(RegistryAdminConfig) private readonly config: RegistryAdminConfig,
    private readonly http: HttpService,
  ) {
    this.urls = splitList(config.INFERENCE_URLS).map((url) => url.replace(/\/+$/, ''));
  }

  /** @param alias the alias that moved; undefined for a change of the whole model (its traffic settings): every alias a replica serves is re-read */
  async pushReload(name: string, alias?: string): Promise<PushResult[]> {
    if (this.urls.length === 0) return [];
    const targets = await expandPushTargets(this.urls);
    const results = await Promise.all(targets.map((target) => this.pushOne(target, name, alias)));
    const what = alias === undefined ? name : `${name}@${alias}`;
    for (const result of results) {
      if (result.ok) this.logger.log(`reload push to ${result.target} for ${what}: HTTP ${result.status}`);
      else this.logger.warn(`reload push to ${result.target} for ${what} failed: ${result.error}`);
    }
    return results;
  }

  private async pushOne(target: string, name: string, alias: string | undefined): Promise<PushResult> {
    const started = performance.now();
    const done = (ok: boolean, status: number | null, error: string | null): PushResult => ({
      target,
      ok,
      status,
      error,
      duration_ms: Math.round(performance.now() - started),
    });
    try {
      const response = await firstValueFrom(
        this.http.post<string>(
          `${target}/admin/reload`,
          { name, alias },
          { headers: { authorization: `Bearer ${this.config.INFERENCE_ADMIN_TOKEN}` }, responseType: 'text' },
        ),
      );
      if (response.status >= 200 && response.status < 300) return done(true, response.status, null);
      return done(false, response.status, `HTTP ${response.status}: ${String(response.data).slice(0, 200)}`);
    } catch (error) {
      // Axios's own timeout and the kit's per-call signal (ServiceHttpModule) both mean the limit ran out.
      const timedOut = isAxiosError(error) && ['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED'].includes(error.code ?? '');
      const text =
        error instanceof Error
          ? `${error.message}${isAxiosError(error) && error.code ? ` (${error.code})` : ''}`
          : String(error);
      return done(
        false,
        null,
        timedOut ? `no answer within ${this.config.PUSH_TIMEOUT_MS} ms` : redactCredentials(text),
      );
    }
  }
}
