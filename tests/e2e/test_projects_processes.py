"""A call posted at Warehouse (Fano) is answered from Combo (Firenze): two real ``spazi run``
processes on loopback and a real SMTP server. Warehouse's admin posts the call with the CLI;
a Combo member answers it from their member page; Warehouse's admin gets the answer by mail,
reads it on the admin page and replies there; Combo mails the reply to its member. Warehouse is
down when the answer is sent: Combo's outbox delivers it once Warehouse is back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from tests.e2e.processes import NodeProcess, NotYet, make_space, spazi, wait_for
from tests.mail_server import smtp_server

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
ADMIN = "admin@warehouse.example"


def _env(port: int) -> dict[str, str]:
    return {
        "SPAZI_ALLOW_PRIVATE_PEERS": "true",
        "SPAZI_SYNC_INTERVAL": "1",
        "SPAZI_SMTP_HOST": "127.0.0.1",
        "SPAZI_SMTP_PORT": str(port),
        "SPAZI_SMTP_STARTTLS": "false",
        "SPAZI_SMTP_FROM": "Spazi <spazi@example.org>",
        "SPAZI_ADMIN_PASSWORD": PASSWORD,
    }


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200, url
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, url
    return found.group(1)


def _answers(data_dir: Path, env: dict[str, str]) -> list[dict]:
    return json.loads(spazi("project", "answers", "--json", data_dir=data_dir, env=env).stdout)


def test_a_call_posted_at_warehouse_is_answered_from_combo(tmp_path: Path) -> None:
    with smtp_server() as (inbox, smtp_port):
        env = _env(smtp_port)
        w_dir, w_port, w_id = make_space(tmp_path, "Warehouse", "Europe/Rome", env=env)
        c_dir, c_port, _c_id = make_space(tmp_path, "Combo", "Europe/Rome", env=env)
        spazi("space", "set", "--city", "Fano", data_dir=w_dir, env=env)
        spazi("space", "set", "--city", "Firenze", data_dir=c_dir, env=env)
        spazi("admin", "create-user", ADMIN, data_dir=w_dir, env=env)
        warehouse = NodeProcess(w_dir, w_port, env)
        combo = NodeProcess(c_dir, c_port, env)
        try:
            code = spazi("peer", "invite", data_dir=w_dir, env=env).stdout.strip()
            spazi("peer", "join", code, data_dir=c_dir, env=env)
            out = spazi(
                "project", "add", "--id", "manifesti",
                "--title", "Grafica per il festival <del>2027</del>",
                "--skills", "grafica, stampa", "--city", "Fano", "--remote",
                "--deadline", "2099-06-30",
                data_dir=w_dir, env=env,
            ).stdout  # fmt: skip
            assert "posted call manifesti" in out
            wait_for(
                lambda: requests.get(f"{combo.url}/network/projects?skill=Grafica", timeout=5).text,
                "Combo to list Warehouse's call",
                until=lambda page: "Grafica per il festival &lt;del&gt;2027&lt;/del&gt;" in page,
            )

            spazi("member", "add", "--name", "Ada Lovelace", "--email", "ada@combo.example",
                  data_dir=c_dir, env=env)  # fmt: skip
            link = next(
                word
                for word in spazi("member", "link", "1", data_dir=c_dir, env=env).stdout.split()
                if "/m/" in word
            )
            secret = link.rsplit("/", 1)[1]
            member_page = requests.get(f"{combo.url}/m/{secret}/projects", timeout=10)
            assert "Grafica per il festival" in member_page.text

            # Warehouse is down when Ada answers: Combo keeps the answer and delivers it later.
            warehouse.stop()
            answered = requests.post(
                f"{combo.url}/m/{secret}/projects/{w_id}/manifesti",
                data={"message": "Disegno manifesti da dieci anni."},
                timeout=10,
                allow_redirects=False,
            )
            assert answered.status_code == 302
            warehouse = NodeProcess(w_dir, w_port, env)
            found = wait_for(
                lambda: _answers(w_dir, env),
                "the answer to reach Warehouse",
                until=lambda rows: len(rows) == 1,
                timeout=90,
            )
            assert found[0]["name"] == "Ada Lovelace" and found[0]["home_name"] == "Combo"
            assert found[0]["message"] == "Disegno manifesti da dieci anni."
            (notice,) = inbox.wait_for(1, timeout=30)
            assert notice["To"] == ADMIN and "Ada Lovelace (Combo)" in str(notice["Subject"])

            # The admin reads the answer on the admin page and replies there.
            admin = requests.Session()
            token = _csrf(admin, f"{warehouse.url}/admin/login")
            logged = admin.post(
                f"{warehouse.url}/admin/login",
                data={"email": ADMIN, "password": PASSWORD, "csrf_token": token},
                timeout=10,
                allow_redirects=False,
            )
            assert logged.status_code == 302
            page = admin.get(f"{warehouse.url}/admin/projects", timeout=10).text
            assert "Disegno manifesti da dieci anni." in page and "of Combo" in page
            token = _csrf(admin, f"{warehouse.url}/admin/projects")
            replied = admin.post(
                f"{warehouse.url}/admin/projects/answers/{found[0]['id']}/reply",
                data={"message": "Passa giovedì alle 10!", "csrf_token": token},
                timeout=10,
                allow_redirects=False,
            )
            assert replied.status_code == 302

            def reply_mail() -> object:
                mails = [m for m in inbox.messages if m["To"] == "ada@combo.example"]
                if not mails:
                    raise NotYet("no mail to Ada yet")
                return mails[0]

            mail = wait_for(reply_mail, "Combo to mail the reply to Ada", timeout=90)
            assert "Warehouse replied" in str(mail["Subject"])  # type: ignore[index]
            body = str(mail.get_body(("plain",)).get_content())  # type: ignore[attr-defined]
            assert "Passa giovedì alle 10!" in body

            # Closed: no more answers, with the reason on the page.
            spazi("project", "close", "manifesti", data_dir=w_dir, env=env)
            wait_for(
                lambda: requests.get(f"{combo.url}/m/{secret}/projects", timeout=5).text,
                "Combo to see the call closed",
                until=lambda text: "Grafica per il festival" not in text.split("Your answers")[0],
            )
            late = requests.post(
                f"{combo.url}/m/{secret}/projects/{w_id}/manifesti",
                data={"message": "Ancora io"},
                timeout=10,
            )
            assert late.status_code == 409 and "closed" in late.text
        finally:
            warehouse.stop()
            combo.stop()
