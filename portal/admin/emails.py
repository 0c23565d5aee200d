"""The email log (admin only): every message the portal wrote, as it was sent; retry a
failed one, release held mail. The HTML part is shown in a sandboxed frame (see DECISIONS)."""

from email.utils import format_datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import ConfirmedForm, ConfirmForm
from portal.extensions import db
from portal.guards import admin_required
from portal.models import Client, MailKind, MailStatus
from portal.services.errors import DomainError
from portal.services.mail.log import (
    WITHHELD,
    EmailFilters,
    email_file,
    email_for,
    email_page,
    held_count,
    release_held,
    retry_email,
    shows_body,
)
from portal.web import confirmation_page, download, flash_refusal, id_arg, page_args, text_arg


def _choice(name: str, allowed) -> str | None:
    """?name= when it is one of `allowed`, else None (an unknown value filters nothing)."""
    value = request.args.get(name)
    return value if value in allowed else None


@bp.get("/emails")
@admin_required
def emails():
    """Every message, newest first, filtered by client, kind and status."""
    filters = EmailFilters(
        client_id=id_arg("client_id"),
        client_name=text_arg("client"),
        kind=_choice("kind", MailKind.values()),
        status=_choice("status", MailStatus.values()),
    )
    page, per_page = page_args()
    return render_template(
        "admin/emails/index.html",
        pagination=email_page(filters, current_user, page, per_page),
        filters=filters,
        chosen_client=db.session.get(Client, filters.client_id) if filters.client_id else None,
        kinds=MailKind.values(),
        statuses=MailStatus.values(),
        held=held_count(),
        release_form=ConfirmedForm(),
    )


@bp.get("/emails/<int:email_id>")
@admin_required
def email(email_id: int):
    """One message as it was sent: headers, the text part, the HTML part sandboxed."""
    message = email_for(current_user, email_id)
    return render_template(
        "admin/emails/show.html",
        message=message,
        date_header=format_datetime(message.created_at),
        client=db.session.get(Client, message.client_id) if message.client_id else None,
        shows_body=shows_body(message),
        withheld=WITHHELD,
        form=ConfirmForm(),
    )


# The stored HTML part, served alone for the message page's frame: a sandbox (an opaque
# origin, no script, no form, no popup) even when opened directly; nothing fetched but inline
# styles and data: images (no tracking pixel, no outside host); framed by the portal only.
HTML_PART_POLICY = "; ".join(
    [
        "sandbox",
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    ]
)


@bp.get("/emails/<int:email_id>/html")
@admin_required
def email_html(email_id: int):
    """The message's HTML part, sandboxed, for the frame of its page."""
    message = email_for(current_user, email_id)
    if not shows_body(message):
        abort(404)
    return Response(
        message.body_html,
        mimetype="text/html",
        headers={
            "Content-Security-Policy": HTML_PART_POLICY,
            "X-Frame-Options": "SAMEORIGIN",
            "Referrer-Policy": "no-referrer",
        },
    )


@bp.get("/emails/<int:email_id>.eml")
@admin_required
def email_eml(email_id: int):
    """The whole message as an .eml file, to open in a mail program."""
    message = email_for(current_user, email_id)
    try:
        raw = email_file(message)
    except DomainError as exc:
        flash_refusal(exc)
        return redirect(url_for("admin.email", email_id=email_id))
    return download(raw, "message/rfc822", f"email-{message.id}.eml")


@bp.post("/emails/<int:email_id>/retry")
@admin_required
def email_retry(email_id: int):
    """Queue a failed message again; the sender takes it at once."""
    message = email_for(current_user, email_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired; please try again."), "danger")
    else:
        try:
            retry_email(message, current_user)
            flash(_("Message queued again; it is sent within a minute."), "success")
        except DomainError as exc:
            flash_refusal(exc)
    return redirect(url_for("admin.email", email_id=email_id))


@bp.post("/emails/release-held")
@admin_required
def emails_release_held():
    """Queue every held message, once confirmed; they go with the sender's next run."""
    form = ConfirmedForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "danger")
    elif not form.is_confirmed():
        held = held_count()
        return confirmation_page(
            form,
            ngettext("Send %(num)d held message?", "Send %(num)d held messages?", held),
            _(
                "Held mail (invoices kept back for review while automatic sending is off) is "
                "queued and goes out with the sender's next run, within a minute."
            ),
            yes=_("Yes, send them"),
            keep_url=url_for("admin.emails", status="held"),
            keep=_("Keep them held"),
        )
    else:
        released = release_held(current_user)
        message = ngettext(
            "%(num)d held message released to be sent.",
            "%(num)d held messages released to be sent.",
            released,
        )
        flash(message, "success")
    return redirect(url_for("admin.emails"))
