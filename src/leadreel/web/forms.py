"""WTForms used by more than one blueprint (CSRF comes with FlaskForm)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from leadreel.models import ROLES


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])
    remember = BooleanField("Keep me signed in")


class UserForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=320)]
    )
    name = StringField("Name", validators=[Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8, max=500)])
    role = SelectField("Role", choices=list(ROLES), default="rep")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=list(ROLES))


class ActionForm(FlaskForm):
    """An empty form: a button that needs only the CSRF token."""
