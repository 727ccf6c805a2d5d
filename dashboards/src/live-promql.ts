/**
 * PromQL over the scraped service metrics, from `@hlp/telemetry`'s builder bound to what every
 * live panel shares: the `$instance` filter and Grafana's rate window.
 */
import { promqlBuilder, type Matchers } from '@hlp/telemetry';

/** Grafana's rate window: at least four scrape intervals, whatever the zoom. */
export const RATE_WINDOW = '$__rate_interval';

/** The instance filter every live panel carries. */
export const INSTANCE: Matchers = { instance: '=~$instance' };

export const { series, defaultSeries, quantile, rate, histogramRate, gauge, hitRatio } = promqlBuilder({ matchers: INSTANCE, window: RATE_WINDOW });
