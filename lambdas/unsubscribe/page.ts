import { escapeHtml } from '../report/escape';

/**
 * The pages of `GET|POST /unsubscribe`. Every page with a button posts back to the same link (a
 * relative action, so it stays under the API's stage path); the only variable text is the owner's
 * address, escaped.
 */

export type PageState = 'confirm' | 'optedOut' | 'alreadyOptedOut' | 'optedIn' | 'refused';

const STYLE =
  ':root{color-scheme:light dark}body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;' +
  'color:#1f2430;background:#ffffff}button{font:inherit;padding:.5rem 1.2rem;border-radius:6px;border:1px solid #3b5bdb;background:#3b5bdb;color:#ffffff;cursor:pointer}' +
  'button.secondary{background:transparent;color:#3b5bdb}@media (prefers-color-scheme:dark){body{color:#e6e8ee;background:#16181d}button.secondary{color:#91a7ff;border-color:#91a7ff}}';

function form(query: string, label: string, secondary = false): string {
  return `<form method="post" action="?${escapeHtml(query)}"><button${secondary ? ' class="secondary"' : ''} type="submit">${label}</button></form>`;
}

export function renderPage(state: PageState, opts: { owner?: string; token?: string; reason?: string }): string {
  const who = `<strong>${escapeHtml(opts.owner ?? '')}</strong>`;
  const query = new URLSearchParams({ t: opts.token ?? '' }).toString();
  const resubscribe = new URLSearchParams({ t: opts.token ?? '', action: 'resubscribe' }).toString();
  const body: Record<PageState, () => string> = {
    confirm: () =>
      `<h1>Stop the Churnwatch digest?</h1><p>${who} will no longer receive the daily churn digest by email.</p>${form(query, 'Unsubscribe')}`,
    optedOut: () =>
      `<h1>Unsubscribed</h1><p>${who} will no longer receive the Churnwatch digest by email. Digests in Slack, if your team set them up, are not affected.</p>${form(resubscribe, 'Resubscribe', true)}`,
    alreadyOptedOut: () =>
      `<h1>Already unsubscribed</h1><p>${who} does not receive the Churnwatch digest by email.</p>${form(resubscribe, 'Resubscribe', true)}`,
    optedIn: () => `<h1>Resubscribed</h1><p>${who} will receive the Churnwatch digest by email again, from the next run.</p>`,
    refused: () => `<h1>This unsubscribe link is not valid</h1><p>${escapeHtml(opts.reason ?? '')}</p><p>Nothing was changed.</p>`,
  };
  return `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>Churnwatch digest</title><style>${STYLE}</style><body>${body[state]()}</body></html>`;
}
