"""Admin page for API tokens: list, create (shown once), revoke."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from portal.admin import bp
from portal.admin.forms import ConfirmForm, optional_int
from portal.extensions import db
from portal.guards import admin_required
from portal.models import ApiToken, User
from portal.services.accounts.tokens import create_api_token, revoke_api_token
from portal.services.lookups import api_token_for
from portal.web import options, run_or_errors


class TokenForm(FlaskForm):
    """Issue a token for a user."""

    user = SelectField(
        _l("User"), coerce=optional_int, validators=[DataRequired(_l("Choose a user."))]
    )
    name = StringField(_l("Label"), validators=[Length(max=100)], description=_l("What it is for."))
    submit = SubmitField(_l("Create token"))


def _form() -> TokenForm:
    """The form with the active users to choose from."""
    form = TokenForm()
    users = db.session.scalars(db.select(User).filter_by(active=True).order_by(User.email))
    form.user.choices = options(
        [("", _("— choose a user —"))] + [(u.id, f"{u.email} ({u.role})") for u in users]
    )
    return form


def _render(form: TokenForm, plain: str | None = None, status: int = 200):
    """The token list with the form; a new token is shown once."""
    rows = db.session.scalars(db.select(ApiToken).order_by(ApiToken.created_at.desc())).all()
    page = render_template(
        "admin/api_tokens/index.html",
        tokens=rows,
        form=form,
        confirm_form=ConfirmForm(),
        plain=plain,
    )
    return page, status


@bp.route("/api-tokens", methods=["GET", "POST"])
@admin_required
def api_tokens():
    """API tokens (admin only): list, and create one for a user."""
    form = _form()
    if form.validate_on_submit():
        user = db.session.get(User, form.user.data)
        issued = run_or_errors(
            form, lambda: create_api_token(user, form.name.data or "", current_user)
        )
        if issued:
            _token, plain = issued
            # Shown on this response only: it is not stored, so it cannot be shown again.
            return _render(_form(), plain)
    return _render(form, status=422 if form.is_submitted() else 200)


@bp.post("/api-tokens/<int:token_id>/revoke")
@admin_required
def api_token_revoke(token_id: int):
    """Revoke a token: requests with it get 401 from now on."""
    token = api_token_for(current_user, token_id)
    if ConfirmForm().validate_on_submit():
        revoke_api_token(token, current_user)
        flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "success")
    return redirect(url_for("admin.api_tokens"))
