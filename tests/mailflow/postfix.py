"""A private Debian Postfix for the mail-flow tests: its own configuration and queue directories
under a temporary folder, listening only on loopback ports chosen per test, never the machine's
port 25 instance. It relays everything to `next_hop` (the test's aiosmtpd) and runs InviteGuard
either as a milter or as a content filter (the relay, which hands mail back on a second port).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from process_helpers import free_port

POSTFIX = Path("/usr/sbin/postfix")

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
myhostname = mx.inviteguard.test
mydomain = inviteguard.test
myorigin = $myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
relay_domains = contoso.com
relayhost = [127.0.0.1]:{next_hop}
smtpd_relay_restrictions = permit_mynetworks, reject
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtp_connect_timeout = 5s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
queue_run_delay = 1s
biff = no
{extra}
"""

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
{reinjection}
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
inviteguard unix -      -       n       -       4       smtp
  -o smtp_send_xforward_command=no
  -o smtp_tls_security_level=none
"""

# The relay hands filtered mail back here: no content filter, no milter, nothing checked twice.
REINJECTION = """\
127.0.0.1:{port} inet n - n - - smtpd
  -o content_filter=
  -o smtpd_milters=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters
  -o smtpd_relay_restrictions=permit_mynetworks,reject"""


class PrivatePostfix:
    def __init__(self, next_hop: int, *, milter_port: int | None = None, relay_port: int | None = None) -> None:
        if not POSTFIX.exists():
            pytest.fail("Debian's postfix is missing: apt-get install -y postfix (scripts/test.sh does it)",
                        pytrace=False)
        self.root = Path(tempfile.mkdtemp(prefix="ig-postfix-"))
        self.port = free_port()
        self.reinjection_port = free_port()
        extra = ["milter_default_action = accept", "milter_protocol = 6"]
        if milter_port is not None:
            extra.append(f"smtpd_milters = inet:127.0.0.1:{milter_port}")
        if relay_port is not None:
            extra.append(f"content_filter = inviteguard:[127.0.0.1]:{relay_port}")
        reinjection = REINJECTION.format(port=self.reinjection_port) if relay_port is not None else ""
        self.root.chmod(0o755)  # Postfix's daemons run as the postfix user
        for name in ("etc", "queue", "data"):
            (self.root / name).mkdir()
        shutil.chown(self.root / "data", "postfix")
        (self.root / "etc" / "main.cf").write_text(
            MAIN_CF.format(root=self.root, next_hop=next_hop, extra="\n".join(extra)))
        (self.root / "etc" / "master.cf").write_text(MASTER_CF.format(port=self.port, reinjection=reinjection))
        self.postfix("start")

    def postfix(self, *args: str) -> str:
        result = subprocess.run([str(POSTFIX), "-c", str(self.root / "etc"), *args], capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, f"postfix {' '.join(args)}: {result.stdout}{result.stderr}{self.log()}"
        return result.stdout + result.stderr

    def flush(self) -> None:
        self.postfix("flush")

    def queued(self) -> list[Path]:
        """Messages still in Postfix's queue (incoming, active, deferred)."""
        return [path for sub in ("incoming", "active", "deferred", "maildrop")
                for path in (self.root / "queue" / sub).rglob("*") if path.is_file()]

    def wait_until_queue_holds(self, count: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while len(self.queued()) < count:
            assert time.monotonic() < deadline, f"the queue never held {count} messages:\n{self.log()}"
            time.sleep(0.1)

    def log(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        subprocess.run([str(POSTFIX), "-c", str(self.root / "etc"), "stop"], capture_output=True, timeout=120)
        shutil.rmtree(self.root, ignore_errors=True)
