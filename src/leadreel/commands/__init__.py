"""The ``leadreel`` command's feature commands, one module per area (registered by cli.py).

Why a package above the services: a command builds the app (``create_app`` migrates the
database on first use) and then calls the same services the pages call; services never
import the app.
"""
