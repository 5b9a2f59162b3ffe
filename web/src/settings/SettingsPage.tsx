import { GitLabSettings } from './GitLabSettings';

export function SettingsPage() {
  return (
    <div className="settings">
      <h1>Settings</h1>
      <nav aria-label="Settings sections" className="subnav">
        <span>Integrations</span> › <span aria-current="page">GitLab</span>
      </nav>
      <GitLabSettings />
    </div>
  );
}
