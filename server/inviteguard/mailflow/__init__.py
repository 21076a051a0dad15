"""Mail flow: the SMTP relay and milter that stamp verdicts, and /api/v1/stamp. Never imports admin or addins."""
