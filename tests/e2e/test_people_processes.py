"""Three real ``spazi run`` processes and a real SMTP server: a member of Prato Hub publishes a
profile, it is found from Firenze two hops away, an architect there writes through the contact
form on Prato's node and the member receives the mail; the member withdraws the profile and the
Firenze node's database file no longer holds its text (protocol.md §Detached bodies)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from tests.e2e.processes import NodeProcess, NotYet, get_document, make_space, spazi, wait_for
from tests.mail_server import smtp_server

pytestmark = pytest.mark.e2e

ENV = {"SPAZI_ALLOW_PRIVATE_PEERS": "true", "SPAZI_SYNC_INTERVAL": "1"}
# Words that appear nowhere but in the profile: what must leave every copy of the database.
MARKER = "Laboratorio-Giulia-7f3a"
SKILL = "restauro mobili"


def _people(process: NodeProcess, **query: str) -> dict:
    args = "&".join(f"{k}={v}" for k, v in query.items())
    return get_document(f"{process.url}/api/v1/people?{args}", timeout=5)


def _database_bytes(data_dir: Path) -> bytes:
    """The raw bytes of the node's SQLite database and its write-ahead log, as on disk."""
    found = b""
    for name in ("spazi.db", "spazi.db-wal"):
        path = data_dir / name
        if path.exists():
            found += path.read_bytes()
    return found


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if match is None:
        raise NotYet("no CSRF token on the form")
    return match.group(1)


def test_profile_found_two_hops_away_mailed_and_erased(tmp_path: Path) -> None:
    with smtp_server() as (inbox, smtp_port):
        mail_env = {
            **ENV,
            "SPAZI_SMTP_HOST": "127.0.0.1",
            "SPAZI_SMTP_PORT": str(smtp_port),
            "SPAZI_SMTP_STARTTLS": "false",
        }
        prato_dir, prato_port, prato_id = make_space(tmp_path, "Prato Hub")
        spazi("space", "set", "--city", "Prato", data_dir=prato_dir, env=ENV)
        pistoia_dir, pistoia_port, _ = make_space(tmp_path, "Pistoia Lab")
        firenze_dir, firenze_port, _ = make_space(tmp_path, "Firenze Cowork")
        spazi("space", "set", "--city", "Firenze", data_dir=firenze_dir, env=ENV)
        added = spazi(
            "member", "add", "--name", "Giulia Bianchi", "--email", "giulia@example.org",
            data_dir=prato_dir,
        ).stdout  # fmt: skip
        member_id = re.search(r"added member (\d+)", added).group(1)  # type: ignore[union-attr]
        link = spazi("member", "link", member_id, data_dir=prato_dir).stdout.split()[0]
        processes = {
            "prato": NodeProcess(prato_dir, prato_port, mail_env),
            "pistoia": NodeProcess(pistoia_dir, pistoia_port, ENV),
            "firenze": NodeProcess(firenze_dir, firenze_port, ENV),
        }
        try:
            prato, pistoia, firenze = (processes[n] for n in ("prato", "pistoia", "firenze"))
            code = spazi("peer", "invite", data_dir=prato_dir, env=ENV).stdout.strip()
            spazi("peer", "join", code, data_dir=pistoia_dir, env=ENV)
            code = spazi("peer", "invite", data_dir=pistoia_dir, env=ENV).stdout.strip()
            spazi("peer", "join", code, data_dir=firenze_dir, env=ENV)

            # The member publishes on their own page, with the consent box ticked.
            profile_page = link.replace(f"http://127.0.0.1:{prato_port}", prato.url) + "/profile"
            published = requests.post(
                profile_page,
                data={
                    "name": "Giulia Bianchi",
                    "bio": f"Restauro mobili antichi. {MARKER}",
                    "skills": f"{SKILL}, doratura",
                    "languages": "italiano",
                    "consent": "yes",
                    "action": "publish",
                },
                timeout=10,
            )
            assert published.status_code == 200, published.text

            # Firenze, two hops away, finds her by skill and city (case and accents ignored).
            found = wait_for(
                lambda: _people(firenze, skill="Restàuro", city="prato"),
                "Firenze to find the Prato member",
                until=lambda doc: doc["total"] == 1,
            )
            person = found["people"][0]
            assert person["space"] == "Prato Hub" and person["city"] == "Prato"
            assert "giulia@example.org" not in str(found)
            search_page = requests.get(f"{firenze.url}/network/people?skill=restauro", timeout=10)
            assert person["contact_url"] in search_page.text

            # The architect follows the link to Prato's contact form and writes.
            contact_url = person["contact_url"]
            assert contact_url.startswith(f"http://127.0.0.1:{prato_port}/people/")
            architect = requests.Session()
            token = _csrf(architect.get(contact_url, timeout=10).text)
            sent = architect.post(
                contact_url,
                data={
                    "email": "architetto@example.org",
                    "message": "Buongiorno, cerco chi restauri una credenza del Settecento.",
                    "csrf_token": token,
                },
                timeout=10,
            )
            assert sent.status_code == 200 and "on its way" in sent.text
            (mail,) = inbox.wait_for(1, timeout=30)
            assert mail["To"] == "giulia@example.org"
            text = mail.get_content()
            assert "credenza del Settecento" in text and "architetto@example.org" not in text

            # Before the withdrawal Firenze's database holds the text (so the check below can
            # fail): in the file or still in the write-ahead log.
            assert MARKER.encode() in _database_bytes(firenze_dir)

            # The member withdraws; every node drops the body when it syncs the tombstone.
            withdrawn = requests.post(profile_page, data={"action": "withdraw"}, timeout=10)
            assert withdrawn.status_code == 200 and "withdrawn" in withdrawn.text
            prato_head = get_document(prato.url + "/federation/v1/heads")["heads"][prato_id]
            for process in (pistoia, firenze):
                wait_for(
                    lambda p=process: get_document(p.url + "/federation/v1/heads")["heads"].get(
                        prato_id, {}
                    ),
                    "the withdrawal to reach every node",
                    until=lambda head: head == prato_head,
                )
            assert _people(firenze, skill="restauro")["total"] == 0
            # Neither relay serves the body any more; the chain still verifies without it.
            for process in (pistoia, firenze):
                page = get_document(f"{process.url}/federation/v1/feeds/{prato_id}")
                assert "detached" not in page
            verify = spazi("feed", "verify", data_dir=prato_dir, env=ENV, check=False)
            assert verify.returncode == 0, verify.stderr
            # The bytes are gone from Firenze's database file and its write-ahead log.
            wait_for(
                lambda: _database_bytes(firenze_dir),
                "Firenze's database to hold no byte of the profile",
                until=lambda raw: MARKER.encode() not in raw and SKILL.encode() not in raw,
                timeout=30,
            )
            # A message to the withdrawn profile is refused.
            refused = architect.post(
                contact_url,
                data={
                    "email": "architetto@example.org",
                    "message": "Ancora io",
                    "csrf_token": token,
                },
                timeout=10,
            )
            assert refused.status_code == 410
            assert len(inbox.messages) == 1
        finally:
            for process in processes.values():
                process.stop()
