"""Exports: field definitions, export templates, column kinds, CSV/XLSX writers, the guard.

Modules, bottom to top (each imports only those above it):

* ``guard``: the formula-injection guard and its inverse (the importer uses ``restore``);
* ``catalog``: every exportable field (core, custom, video) and where its value comes from;
* ``field_admin``: custom field definitions: create, edit, rename, delete, promote extras;
* ``columns``: the column kinds (field, fixed value, format) and their validation;
* ``templates``: the built-in templates and the saved ones (create, edit, duplicate, delete);
* ``rows``: the selection's rows as a streamed query, and the cells of each row;
* ``writers``: CSV (BOM, delimiter) and XLSX (openpyxl write-only) sinks;
* ``runner``: ``write_export`` (the streaming writer), ``run_export`` (a recorded export),
  ``preview``, the history and its retention;
* ``tasks``: the ``export_leads`` task type;
* ``start``: ``start_export``, the one entry point (page, overview, assistant);
* ``commands``: ``leadreel export``.

The package imports nothing at import time so ``services.importing`` can use the guard
without loading the rest.
"""
