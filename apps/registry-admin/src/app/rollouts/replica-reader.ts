/**
 * Reads every inference-api replica: the same replica list the reload push uses (INFERENCE_URLS,
 * or one DNS name expanded to every address behind it), each replica's `/metrics`, and the A/B
 * report over the shared prediction log from the first replica that answers, through the kit's
 * HttpService (its time limit is PUSH_TIMEOUT_MS, as for the push).
 */
import type { HttpService } from '@nestjs/axios';
import { firstValueFrom } from 'rxjs';

import { splitList } from '@churn/service-kit';

import { expandPushTargets } from '../push/reload-push.service';
import { parseMetrics, type MetricsSnapshot } from './replica-figures';
import type { ReportFigures } from './rollout-guards';

export const SCORE_BINS = 20;

export class ReplicaReader {
  private readonly urls: string[];

  /**
   * @param viewerToken a token with the `viewer` role in inference-api's API_TOKENS, sent with the
   *   report read (its business reads need it once that is set); empty: none sent.
   */
  constructor(
    private readonly http: HttpService,
    inferenceUrls: string,
    private readonly viewerToken: string,
  ) {
    this.urls = splitList(inferenceUrls).map((url) => url.replace(/\/+$/, ''));
  }

  targets(): Promise<string[]> {
    return expandPushTargets(this.urls);
  }

  /** Each reachable replica's counters; those that did not answer are listed apart. */
  async snapshot(): Promise<{ snapshots: Map<string, MetricsSnapshot>; unreachable: string[] }> {
    const targets = await this.targets();
    const snapshots = new Map<string, MetricsSnapshot>();
    const unreachable: string[] = [];
    await Promise.all(
      targets.map(async (target) => {
        try {
          const response = await firstValueFrom(this.http.get<string>(`${target}/metrics`, { responseType: 'text' }));
          if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
          snapshots.set(target, parseMetrics(response.data));
        } catch {
          unreachable.push(target);
        }
      }),
    );
    return { snapshots, unreachable };
  }

  /** `/ab/report` for [since, now) with score histograms; null when no replica answers it. */
  async report(since: number, minLabels: number): Promise<ReportFigures | null> {
    for (const target of await this.targets()) {
      try {
        const response = await firstValueFrom(
          this.http.get<ReportFigures>(`${target}/ab/report`, {
            params: { since, score_bins: SCORE_BINS, min_labels: minLabels },
            headers: this.viewerToken ? { authorization: `Bearer ${this.viewerToken}` } : {},
            responseType: 'json',
          }),
        );
        if (response.status === 200) return response.data;
      } catch {
        // The next replica reads the same shared store.
      }
    }
    return null;
  }
}
