"""Settings, Redis, the embedded Redis, `serve`, the version. Imports no other part of inviteguard."""
