import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GitLabConnection } from '../api/types';
import { calls, renderApp, serve } from '../test/api';
import { CreateWebhook } from './CreateWebhook';

afterEach(() => vi.unstubAllGlobals());

const conn = (over: Partial<GitLabConnection>): GitLabConnection => ({ connected: true, mode: 'full', webhook: { url: 'https://r/api/integrations/gitlab/webhook', configured: false }, ...over });

describe('Create the webhook', () => {
  it('is offered only with an api token and no webhook yet', () => {
    const { unmount } = renderApp(<CreateWebhook conn={conn({ mode: 'read_only' })} />);
    expect(screen.queryByTestId('gitlab-create-webhook')).toBeNull();
    unmount();
    renderApp(<CreateWebhook conn={conn({ webhook: { url: 'x', configured: true } })} />);
    expect(screen.queryByTestId('gitlab-create-webhook')).toBeNull();
  });

  it('creates it, and says why not when GitLab refuses', async () => {
    const fetch = serve({ 'POST /api/integrations/gitlab/webhook/create': [403, { error: 'GitLab answered 403: the Maintainer role is needed to add a webhook' }] });
    renderApp(<CreateWebhook conn={conn({})} />);
    fireEvent.click(screen.getByRole('button', { name: 'Create the webhook' }));
    expect((await screen.findByRole('alert')).textContent).toContain('the Maintainer role is needed');
    await waitFor(() => expect(calls(fetch)).toEqual(['POST /api/integrations/gitlab/webhook/create']));
  });
});
