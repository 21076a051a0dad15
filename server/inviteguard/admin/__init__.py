"""The console: banner editor, triage, accounts, sessions, OIDC. Never imports addins or mailflow."""
