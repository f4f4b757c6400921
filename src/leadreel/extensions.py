"""Extension objects, created unbound; ``create_app`` binds them."""

from flask_login import LoginManager
from flask_wtf import CSRFProtect

from leadreel.db import Database

db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
