"""Leads as salespeople work with them: select, filter, sort, page, act in bulk.

The public API (what the web pages and the assistant's tools call):

- :class:`leadreel.services.leads.selection.Selection`: the filter model (ids, search,
  batch, owner, statuses, has-email/phone/website, import dates, custom field values);
- :func:`leadreel.services.leads.selection.lead_query` ``(user, selection, *columns)``: the
  one scoped query every feature runs (a rep only ever gets their own leads);
- :func:`leadreel.services.leads.overview.list_page` ``(session, user, selection, sort=,
  desc=, after=, size=)``: a keyset page of rows for display; ``query.keyset_page`` for ids;
- :func:`leadreel.services.leads.overview.count_capped`: a bounded count;
- :func:`leadreel.services.leads.bulk.start` ``(session, user, selection, action, params)``:
  queue assign / tag / batch / delete / export as one task.

Nothing is imported here, so importing a submodule stays cheap and loop-free.
"""
