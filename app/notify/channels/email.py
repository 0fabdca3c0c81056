"""E-mail through the configured SMTP relay (DISPMON_SMTP_*): STARTTLS, TLS from the start, or
plain for a relay on the same host.

One message is multipart/alternative: a plain-text part, and an HTML part (inline styles only,
as mail clients drop style sheets) with the destination's chart as a PNG attached inline
(multipart/related, `cid:`), since most clients show PNG and refuse SVG. The Message-ID is the
notification's, the same on every retry, so a mailbox that got it once can tell.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape

from app.db import utcnow
from app.errors import InvalidInput
from app.notify.channels.base import Sent, Target
from app.notify.chart import png_chart
from app.notify.messages import SEVERITY_COLORS, Message, plain_text
from app.settings import Settings

ADDRESS = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$|"
                     r"^[^@\s<>,;\"]{1,64}@localhost$")
CHART_CID = "chart@dispmon"


def html(message: Message, with_chart: bool) -> str:
    color = SEVERITY_COLORS.get(message.severity, "#2471a3")
    out = ['<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;'
           'color:#1b1f23;max-width:640px">']
    if message.demo:
        out.append('<p style="background:#fdecea;border:2px solid #c0392b;padding:8px;'
                   f'font-weight:bold;color:#c0392b">{escape(message.demo_note)}</p>')
    out.append(f'<h2 style="border-left:6px solid {color};padding-left:8px">'
               f"{escape(message.headline)}</h2>")
    if message.summary and not message.is_test:
        out.append(f"<p>{escape(message.summary)}</p>")
    out.append('<table cellpadding="4" style="border-collapse:collapse">')
    out += [f'<tr><th align="left" style="color:#586069">{escape(label)}</th>'
            f"<td>{escape(value)}</td></tr>" for label, value in message.facts()]
    out.append("</table>")
    if with_chart:
        peak = max(max(p.high, p.estimate) for p in message.series)
        out.append(f'<p><img src="cid:{CHART_CID}" width="560" height="180" '
                   f'alt="The estimate for {escape(message.place)} by day"><br>'
                   f'<small style="color:#586069">{escape(message.series[0].day.isoformat())}'
                   f" to {escape(message.series[-1].day.isoformat())}; top line "
                   f"{peak:,} people; the pale band is the spread between sources</small></p>")
    for title, items in message.sections:
        out.append(f"<h3>{escape(title)}</h3><ul>")
        out += [f"<li>{escape(item)}</li>" for item in items]
        out.append("</ul>")
    if message.sources:
        out.append("<h3>On whose word</h3>")
        for s in message.sources:
            name = (f'<a href="{escape(s.url)}">{escape(s.name)}</a>' if s.url
                    else escape(s.name))
            out.append(f"<p>{name}, {escape(s.credibility_text)}, {escape(s.day)}<br>"
                       '<span style="border-left:3px solid #d1d5da;padding-left:8px;'
                       f'color:#444d56">“{escape(s.quote)}”</span></p>')
    if message.link:
        out.append(f'<p><a href="{escape(message.link)}" style="background:{color};color:#fff;'
                   'padding:8px 14px;text-decoration:none;border-radius:4px">'
                   "Open the alert</a></p>")
    out.append("</body></html>")
    return "\n".join(out)


def compose(settings: Settings, target: Target, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.headline
    mail["From"] = settings.smtp_from
    mail["To"] = target.address
    mail["Date"] = format_datetime(utcnow())
    domain = settings.smtp_from.rsplit("@", 1)[-1].strip(" >") or "dispmon"
    mail["Message-ID"] = f"<{target.reference or 'test'}@{domain}>"
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to it
    if message.alert_id is not None:
        mail["X-Dispmon-Alert"] = str(message.alert_id)
    mail.set_content(plain_text(message))
    with_chart = bool(message.series)
    mail.add_alternative(html(message, with_chart), subtype="html")
    if with_chart:
        html_part = next(p for p in mail.iter_parts() if p.get_content_type() == "text/html")
        assert isinstance(html_part, EmailMessage)
        html_part.add_related(png_chart(message.series), maintype="image", subtype="png",
                              cid=f"<{CHART_CID}>", filename="chart.png")
    return mail


class Email:
    def check(self, address: str, token: str | None) -> str:
        if token:
            raise InvalidInput("an e-mail subscription takes no token")
        if not ADDRESS.match(address.strip()):
            raise InvalidInput(f"{address!r} is not an e-mail address")
        return address.strip()

    def hint(self, address: str) -> str:
        return address

    def send(self, settings: Settings, target: Target, message: Message) -> Sent:
        if not settings.smtp_host:
            return Sent(None, "no mail relay: set DISPMON_SMTP_HOST")
        mail = compose(settings, target, message)
        timeout = settings.smtp_timeout_seconds
        try:
            # the certificate is always checked, against the system's CAs or the given ones
            tls = ssl.create_default_context(
                cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None)
            if settings.smtp_security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.smtp_host, settings.smtp_port, timeout=timeout, context=tls)
            else:
                smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
            with smtp:
                if settings.smtp_security == "starttls":
                    smtp.starttls(context=tls)
                if settings.smtp_username:
                    password = settings.smtp_password.get_secret_value() \
                        if settings.smtp_password else ""
                    smtp.login(settings.smtp_username, password)
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            return Sent(code, f"the relay refused {target.address}: {code} "
                        f"{reason.decode('utf-8', 'replace')}")
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            return Sent(exc.smtp_code, f"the relay answered {exc.smtp_code} {text}")
        except (smtplib.SMTPException, OSError) as exc:
            return Sent(None, f"could not send through {settings.smtp_host}:"
                        f"{settings.smtp_port}: {exc or type(exc).__name__}")
        if refused:
            return Sent(None, f"the relay refused {', '.join(refused)}")
        return Sent(250, None, f"accepted by {settings.smtp_host}")


CHANNEL = Email()
